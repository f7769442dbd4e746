/**
 * get_customer by pkcustomerid and by projectId, end to end: the built server over stdio against the
 * stand-in Solar Proof. Whether id lookups work is remembered per process, so the tests about that
 * state each start a server of their own.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../src/errors.js';
import { toGetCustomerShape } from '../../src/sandbox/api.js';
import { seedCustomers } from '../../src/sandbox/customers.js';
import {
  answer,
  envFor,
  expectNoKey,
  type ServerProcess,
  startInProcessServer,
  structured,
  textData,
  useStandInAndInProcessServer,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
useStandInAndInProcessServer({ SOLARPROOF_TIMEOUT_MS: '3000' }, (s, p) => {
  standIn = s;
  server = p;
});

const get = (args: Record<string, unknown>, on: ServerProcess = server) => on.callTool('get_customer', args);
const seeded = (id: number) => {
  const customer = seedCustomers().find((c) => c.pkcustomerid === id);
  if (!customer) throw new Error(`no seeded customer ${id}`);
  return customer;
};
const actions = () => standIn.requests.map((r) => r.query.action);

/** A server process of its own (fresh id-lookup state), closed and leak-checked afterwards. */
async function withFreshServer(run: (fresh: ServerProcess) => Promise<void>): Promise<void> {
  const fresh = await startInProcessServer(envFor(standIn, { SOLARPROOF_TIMEOUT_MS: '3000' }));
  try {
    await run(fresh);
  } finally {
    await fresh.close();
    for (const result of fresh.results) expectNoKey(result);
    expectNoKey(fresh.stderr());
  }
}

describe('exactly one of email, pkcustomerid or projectId', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['none', {}, /exactly one of email, pkcustomerid or projectId$/],
    ['email and id', { email: 'john.smith@example.com', pkcustomerid: 79461 }, /got email and pkcustomerid/],
    ['id and project', { pkcustomerid: 79461, projectId: 50211 }, /got pkcustomerid and projectId/],
    [
      'all three',
      { email: 'john.smith@example.com', pkcustomerid: 79461, projectId: 50211 },
      /got email and pkcustomerid and projectId/,
    ],
  ])('%s → INVALID_ARGUMENTS with a clear message, nothing sent', async (_label, args, message) => {
    const result = await get(args);
    expect(result.isError).toBe(true);
    const data = structured(result);
    expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
    expect((data.issues as Array<{ message: string }>)[0]?.message).toMatch(message);
    expect(standIn.requests).toHaveLength(0);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['id 0', { pkcustomerid: 0 }, 'pkcustomerid'],
    ['a negative id', { pkcustomerid: -5 }, 'pkcustomerid'],
    ['a fractional id', { pkcustomerid: 79461.5 }, 'pkcustomerid'],
    ['an id as a string', { pkcustomerid: '79461' }, 'pkcustomerid'],
    ['project 0', { projectId: 0 }, 'projectId'],
    ['a project id as a string', { projectId: '50211' }, 'projectId'],
    ['an unsafe integer', { projectId: 2 ** 53 }, 'projectId'],
  ])('%s → INVALID_ARGUMENTS, nothing sent', async (_label, args, path) => {
    const result = await get(args);
    expect(structured(result)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
    expect((structured(result).issues as Array<{ path: string }>).map((i) => i.path)).toContain(path);
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('by pkcustomerid', () => {
  it('asks Get Customer in its documented form (the id in customer_email) and maps the record', async () => {
    const byEmail = structured(await get({ email: 'john.smith@example.com' })).customer;
    standIn.requests.length = 0;
    const result = await get({ pkcustomerid: 79461 });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toEqual({
      ok: true,
      mode: 'live',
      message: 'Found customer 79461: John Smith <john.smith@example.com>.',
      customer: byEmail,
    });
    expect(textData(result)).toEqual(structured(result));
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.requests[0]?.method).toBe('GET');
    expect(standIn.requests[0]?.query).toMatchObject({
      action: 'getcustomerByemail',
      customer_email: '79461',
    });
  });

  it('reads a customer with an accent in the name by id', async () => {
    const result = await get({ pkcustomerid: 84101 });
    expect(structured(result).customer).toMatchObject({
      pkcustomerid: 84101,
      firstname: 'José',
      surname: 'Álvarez',
    });
  });

  it('an answer for another customer is UNEXPECTED_RESPONSE, never passed off as the one asked for', async () => {
    standIn.once(answer(200, toGetCustomerShape(seeded(80125))));
    const result = await get({ pkcustomerid: 79461 });
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE', httpStatus: 200 });
    expect(String(structured(result).message)).toMatch(/customer 79461 with customer 80125/);
    expect(String(structured(result).hint)).toMatch(/not the customer asked for/);
    expect(structured(result).customer).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain('mei.chen');
  });

  it('an answer with no readable id is UNEXPECTED_RESPONSE too', async () => {
    standIn.once(answer(200, { ...toGetCustomerShape(seeded(79461)), customer_id: 'CUST-79461' }));
    const result = await get({ pkcustomerid: 79461 });
    expect(structured(result)).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE' });
    expect(String(structured(result).message)).toMatch(/no readable id/);
  });

  it('once id lookups work, not found means not found: one request, a hint about the id', async () => {
    await get({ pkcustomerid: 79461 }); // id lookups work in this process
    standIn.requests.length = 0;
    const result = await get({ pkcustomerid: 999_999 });
    expect(structured(result)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND', httpStatus: 404 });
    expect(String(structured(result).hint)).toMatch(/No customer has this id/);
    expect(String(structured(result).hint)).toMatch(/find_customers/);
    expect(actions()).toEqual(['getcustomerByemail']);
  });
});

describe('id lookups: the documented form, the older form, and a refusal remembered per process', () => {
  it('INVALID_PARAMETERS to the documented form → the older getcustomer&customer_id=, then only that', async () => {
    await withFreshServer(async (fresh) => {
      standIn.once(answer(400, { code: 'INVALID_PARAMETERS', message: 'customer_email must be an email' }));
      const first = await get({ pkcustomerid: 79461 }, fresh);
      expect(structured(first)).toMatchObject({ ok: true, customer: { pkcustomerid: 79461 } });
      expect(standIn.requests.map((r) => r.query)).toEqual([
        expect.objectContaining({ action: 'getcustomerByemail', customer_email: '79461' }),
        expect.objectContaining({ action: 'getcustomer', customer_id: '79461' }),
      ]);
      standIn.requests.length = 0;
      const second = await get({ pkcustomerid: 80125 }, fresh);
      expect(structured(second)).toMatchObject({ ok: true, customer: { firstname: 'Mei' } });
      expect(actions()).toEqual(['getcustomer']);
    });
  });

  it('not found from the documented form, found by the older one: the older form is used from then on', async () => {
    await withFreshServer(async (fresh) => {
      standIn.once(answer(200, []));
      const first = await get({ pkcustomerid: 81307 }, fresh);
      expect(structured(first)).toMatchObject({ ok: true, customer: { pkcustomerid: 81307 } });
      expect(actions()).toEqual(['getcustomerByemail', 'getcustomer']);
      standIn.requests.length = 0;
      const missing = await get({ pkcustomerid: 999_999 }, fresh);
      expect(structured(missing)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
      expect(String(structured(missing).hint)).toMatch(/No customer has this id/);
      expect(actions()).toEqual(['getcustomer']);
    });
  });

  it('before any id lookup worked, not found both ways says both possibilities; later calls are refused at once', async () => {
    await withFreshServer(async (fresh) => {
      const first = await get({ pkcustomerid: 999_999 }, fresh);
      expect(first.isError).toBe(true);
      const data = structured(first);
      expect(data).toMatchObject({
        ok: false,
        code: 'CUSTOMER_NOT_FOUND',
        retryable: false,
        httpStatus: 404,
      });
      expect(String(data.message)).toMatch(/asked both ways/);
      expect(String(data.hint)).toMatch(
        /Either no customer has this id, or .* does not look customers up by id/,
      );
      expect(String(data.hint)).toMatch(/by email/);
      expect(actions()).toEqual(['getcustomerByemail', 'getcustomer']);

      standIn.requests.length = 0;
      const later = await get({ pkcustomerid: 79461 }, fresh);
      expect(structured(later)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
      expect(String(structured(later).message)).toMatch(/not looked up/);
      expect(String(structured(later).hint)).toMatch(/find_customers/);
      expect(standIn.requests).toHaveLength(0);
      // Other lookups are unaffected.
      const byEmail = await get({ email: 'john.smith@example.com' }, fresh);
      expect(structured(byEmail)).toMatchObject({ ok: true });
      await expect.poll(() => fresh.stderr()).toMatch(/id lookups are taken as unsupported/);
    });
  });

  it('a service that does not know getcustomer (NOT_FOUND, unknown endpoint) counts as a refusal', async () => {
    await withFreshServer(async (fresh) => {
      standIn.once(answer(404, { code: 'CUSTOMER_NOT_FOUND', message: 'No customer with email 79461' }));
      standIn.once(answer(404, { code: 'NOT_FOUND', message: 'Unknown endpoint' }));
      const result = await get({ pkcustomerid: 79461 }, fresh);
      expect(structured(result)).toMatchObject({ code: 'CUSTOMER_NOT_FOUND', upstreamCode: 'NOT_FOUND' });
      expect(String(structured(result).hint)).toMatch(/cannot be told apart/);
    });
  });

  it('a failure that says nothing about ids (503s, a timeout) is reported as it is and decides nothing', async () => {
    await withFreshServer(async (fresh) => {
      standIn.once(answer(503, { error: 'maintenance' }), 3);
      const failed = await get({ pkcustomerid: 79461 }, fresh);
      expect(structured(failed)).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
      expect(String(structured(failed).hint)).toMatch(/lookup changes nothing/);
      const next = await get({ pkcustomerid: 79461 }, fresh);
      expect(structured(next)).toMatchObject({ ok: true, customer: { pkcustomerid: 79461 } });
    });
  });
});

describe('by projectId', () => {
  it('asks Get Customer of Project and maps every field of its answer', async () => {
    const result = await get({ projectId: 52110 });
    expect(result.isError).toBeFalsy();
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.requests[0]?.method).toBe('GET');
    expect(standIn.requests[0]?.query).toMatchObject({ action: 'getcustomerofproject', project_id: '52110' });
    expect(structured(result)).toEqual({
      ok: true,
      mode: 'live',
      message: 'Found customer 84110 for project 52110: Chloé Martin <hello@cafelumiere.example.com.au>.',
      customer: {
        pkcustomerid: 84110,
        firstname: 'Chloé',
        surname: 'Martin',
        email: 'hello@cafelumiere.example.com.au',
        phone1: '0411 908 266',
        phone2: '',
        // Not in this answer: unknown, not invented.
        type: null,
        companyname: 'Café Lumière Pty Ltd',
        companyphone: '+61 3 9690 1122',
        gststatus: 1,
        status: null,
        creationDate: null,
        owner: null,
        notes: null,
        projects: null,
        unmapped: { uid: 1042, customerabn: '33 615 207 982', note: '', contactTime: 'Mornings' },
      },
      project: { projectId: 52110, siteAddress: '88 Brunswick Street, Fitzroy VIC 3065' },
    });
    expect(textData(result)).toEqual(structured(result));
  });

  it('the document’s customer: project 50211 is John Smith', async () => {
    const result = await get({ projectId: 50211 });
    expect(structured(result)).toMatchObject({
      ok: true,
      customer: {
        pkcustomerid: 79461,
        firstname: 'John',
        gststatus: 1,
        unmapped: { note: expect.any(String) },
      },
      project: { projectId: 50211, siteAddress: '12 Wattle Street, Parramatta NSW 2150' },
    });
  });

  it('fields the answer leaves out are null; labels and strings are read like the other lookups', async () => {
    standIn.once(
      answer(200, {
        Message: 'Customer details retrieved successfully!',
        Customer: { customerID: '79461', firstName: 'John', gstRegistered: 'GST Registered', extra: [1] },
      }),
    );
    const result = await get({ projectId: 50211 });
    expect(structured(result)).toMatchObject({
      ok: true,
      customer: {
        pkcustomerid: 79461,
        firstname: 'John',
        surname: null,
        email: null,
        phone1: null,
        companyname: null,
        gststatus: 1,
        unmapped: { extra: [1] },
      },
      project: { projectId: 50211, siteAddress: null },
    });
  });

  it('an unknown project (CAMPAIGN_NOT_FOUND, as one page lists it) is CUSTOMER_NOT_FOUND with a project hint', async () => {
    const result = await get({ projectId: 12345 });
    expect(structured(result)).toMatchObject({
      ok: false,
      code: 'CUSTOMER_NOT_FOUND',
      upstreamCode: 'CAMPAIGN_NOT_FOUND',
      httpStatus: 404,
      message: 'No project exists with ID: 12345',
    });
    expect(String(structured(result).hint)).toMatch(/project id/);
  });

  it.each([
    ['Customer null', 'CUSTOMER_NOT_FOUND', { Message: 'No customer', Customer: null }],
    ['Customer empty', 'CUSTOMER_NOT_FOUND', { Message: 'No customer', Customer: {} }],
    ['no Customer at all', 'UNEXPECTED_RESPONSE', { Message: 'Customer details retrieved successfully!' }],
    ['Customer a string', 'UNEXPECTED_RESPONSE', { Customer: 'John Smith' }],
  ])('%s: %s', async (_label, code, body) => {
    standIn.once(answer(200, body));
    expect(structured(await get({ projectId: 50211 }))).toMatchObject({ ok: false, code });
  });
});

describe('older error-code names', () => {
  it('API_KEY_INVALID is a bad key: the same code and hint as INVALID_API_KEY', async () => {
    standIn.once(answer(401, { code: 'API_KEY_INVALID', message: 'Invalid API key' }));
    const result = await get({ email: 'john.smith@example.com' });
    expect(structured(result)).toMatchObject({
      ok: false,
      code: 'INVALID_API_KEY',
      retryable: false,
      hint: ERROR_CATALOG.INVALID_API_KEY.hint,
      message: 'Invalid API key',
      upstreamCode: 'API_KEY_INVALID',
    });
  });

  it('UNAUTHORISED is a permission problem, with the lookup’s own hint', async () => {
    standIn.once(answer(403, { code: 'UNAUTHORISED', message: 'Not allowed' }));
    const result = await get({ projectId: 50211 });
    expect(structured(result)).toMatchObject({
      ok: false,
      code: 'PERMISSION_DENIED',
      upstreamCode: 'UNAUTHORISED',
    });
    expect(String(structured(result).hint)).toMatch(/may not see this customer/);
  });

  it('UNAUTHORISED to an update is PERMISSION_DENIED too', async () => {
    standIn.once(answer(403, { code: 'UNAUTHORISED', message: 'Not allowed' }));
    const result = await server.call({ pkcustomerid: 79461, firstname: 'John' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
  });
});
