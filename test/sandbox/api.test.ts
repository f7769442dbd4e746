/**
 * The sandbox's API with the user's faults, request in and reply out (no HTTP), and the sandbox's
 * HTTP server holding a slow answer without holding up its own close.
 */
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createSandboxApi, type SandboxRequest, SUCCESS_MESSAGE } from '../../src/sandbox/api.js';
import { type SandboxFault, SLOW_UPDATE_DELAY_MS } from '../../src/sandbox/faults.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';

const KEY = 'sandbox-test-key';
const JOHN = 79461;

function get(query: Record<string, string>): SandboxRequest {
  return {
    method: 'GET',
    path: '/apidata.php',
    query: { api_key: KEY, ...query },
    rawBody: '',
    body: undefined,
    bodyTooLarge: false,
  };
}

function update(fields: Record<string, unknown>): SandboxRequest {
  const body = { data: { apikey: KEY, action: 'updatecustomer', pkcustomerid: JOHN, ...fields } };
  return {
    method: 'POST',
    path: '/apidata.php',
    query: { api_key: KEY, action: 'updatecustomer' },
    rawBody: JSON.stringify(body),
    body,
    bodyTooLarge: false,
  };
}

const byEmail = get({ action: 'getcustomerByemail', customer_email: 'john.smith@example.com' });
const byIdDocumented = get({ action: 'getcustomerByemail', customer_email: String(JOHN) });
const byIdOlder = get({ action: 'getcustomer', customer_id: String(JOHN) });
const page = get({ action: 'getallcustomers', page: '1' });
const project = get({ action: 'getcustomerofproject', project_id: '50211' });

const api = (faults: SandboxFault[] = []) => createSandboxApi({ apiKey: KEY, faults });

describe('the sandbox API without faults', () => {
  it('answers every action at once, and an update is stored', () => {
    const sandbox = api();
    for (const req of [byEmail, byIdDocumented, byIdOlder, page, project]) {
      expect(sandbox.answer(req)).toMatchObject({ status: 200, delayMs: 0 });
    }
    expect(sandbox.answer(update({ phone1: '0400 000 111' }))).toEqual({
      status: 200,
      body: { Message: SUCCESS_MESSAGE, CustomerId: String(JOHN) },
      delayMs: 0,
    });
    expect(sandbox.customers.get(JOHN)?.phone1).toBe('0400 000 111');
  });

  it('Get All Customers lists in id order, whatever order the customers were given in', () => {
    const seeded = [...createSandboxApi().customers.values()];
    const shuffled = createSandboxApi({ apiKey: KEY, customers: [...seeded].reverse() });
    const ids = [1, 2, 3].flatMap((n) =>
      (
        shuffled.answer(get({ action: 'getallcustomers', page: String(n) })).body as Array<{
          customer_id: string;
        }>
      ).map((c) => Number(c.customer_id)),
    );
    expect(ids).toEqual(seeded.map((c) => c.pkcustomerid).sort((a, b) => a - b));
  });

  it('a body too large is answered 413 unread', () => {
    expect(api().answer({ ...update({ phone1: '0400 000 111' }), bodyTooLarge: true })).toMatchObject({
      status: 413,
      body: { code: 'INVALID_PARAMETERS' },
    });
  });
});

describe('faults', () => {
  it('latency delays every answer, errors included', () => {
    const sandbox = api([{ kind: 'latency', ms: 250 }]);
    const wrongKey = { ...byEmail, query: { ...byEmail.query, api_key: 'wrong' } };
    for (const req of [byEmail, byIdOlder, page, project, update({ surname: 'Smyth' }), wrongKey]) {
      expect(sandbox.answer(req).delayMs).toBe(250);
    }
    expect(sandbox.answer(wrongKey).status).toBe(401);
  });

  it('slow-updates applies the update, then holds the answer past the deadline; reads stay quick', () => {
    const sandbox = api([{ kind: 'slow-updates' }, { kind: 'latency', ms: 10 }]);
    const reply = sandbox.answer(update({ firstname: 'Jon' }));
    expect(reply).toMatchObject({ status: 200, delayMs: SLOW_UPDATE_DELAY_MS + 10 });
    expect(sandbox.customers.get(JOHN)?.firstname).toBe('Jon');
    expect(sandbox.answer(byEmail)).toMatchObject({ status: 200, delayMs: 10 });
  });

  it('refuse-id-lookups: both id forms answer not-found; email, project and updates still work', () => {
    const sandbox = api([{ kind: 'refuse-id-lookups' }]);
    for (const req of [byIdDocumented, byIdOlder]) {
      expect(sandbox.answer(req)).toMatchObject({
        status: 404,
        body: { code: 'CUSTOMER_NOT_FOUND', message: `No customer exists with ID: ${JOHN}` },
      });
    }
    expect(sandbox.answer(byEmail).status).toBe(200);
    expect(sandbox.answer(project).status).toBe(200);
    expect(sandbox.answer(update({ surname: 'Smyth' })).status).toBe(200);
    // Without the fault the same lookups find John: the fault is what refuses them.
    expect(api().answer(byIdOlder).status).toBe(200);
  });

  it('ignore-fields accepts the update but stores only the other fields', () => {
    const sandbox = api([{ kind: 'ignore-fields', fields: ['phone1', 'email'] }]);
    const before = structuredClone(sandbox.customers.get(JOHN));
    const reply = sandbox.answer(
      update({ phone1: '0400 000 111', email: 'new@example.com', surname: 'Smyth' }),
    );
    expect(reply).toMatchObject({ status: 200, body: { Message: SUCCESS_MESSAGE } });
    expect(sandbox.customers.get(JOHN)).toEqual({ ...before, surname: 'Smyth' });
    // An ignored field is still checked: an invalid value is refused as without the fault.
    expect(sandbox.answer(update({ phone1: 'not a phone' })).status).toBe(400);
  });
});

describe('the sandbox over HTTP', () => {
  it('a held slow answer reaches no client that gave up, and does not hold up close', async () => {
    const sandbox = await startSandbox({ apiKey: KEY, faults: [{ kind: 'slow-updates' }] });
    const body = JSON.stringify(update({ firstname: 'Jon' }).body);
    const url = `${sandbox.url}/apidata.php?api_key=${KEY}&action=updatecustomer`;
    const gaveUp = AbortSignal.timeout(300);
    await expect(
      request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: gaveUp }),
    ).rejects.toThrow();
    // The change was made though no answer came.
    const read = await request(
      `${sandbox.url}/apidata.php?api_key=${KEY}&action=getcustomer&customer_id=${JOHN}`,
    );
    expect(await read.body.json()).toMatchObject({ customer_first_name: 'Jon' });
    const closing = performance.now();
    await sandbox.close();
    expect(performance.now() - closing).toBeLessThan(SLOW_UPDATE_DELAY_MS / 2);
  });
});
