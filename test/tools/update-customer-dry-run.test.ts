/**
 * update_customer with dryRun: true, end to end through the SDK Client. A preview reads the record
 * (as the live call does) and must show the exact request (key redacted) and send no update: the
 * stand-in receives reads only, and its record of the customer stays as seeded.
 */
import { describe, expect, it } from 'vitest';
import { seedCustomers } from '../../src/sandbox/customers.js';
import {
  envFor,
  expectNoKey,
  requestsSeen,
  SENTINEL_KEY,
  type ServerProcess,
  startInProcessServer,
  structured,
  textData,
  updateRequests,
  useStandInAndInProcessServer,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
useStandInAndInProcessServer({ SOLARPROOF_TIMEOUT_MS: '3000' }, (s, p) => {
  standIn = s;
  server = p;
});

const seeded = (id: number) => seedCustomers().find((c) => c.pkcustomerid === id);
const previewUrl = () => `${standIn.url}/apidata.php?api_key=%5BREDACTED%5D&action=updatecustomer`;

const FULL = {
  pkcustomerid: 80125,
  firstname: 'Zoë',
  surname: 'O’Brien-Nguyễn',
  email: 'zoe.obrien@example.com.au',
  phone1: '+61 412 345 678',
  phone2: '(02) 9876 5432',
  type: 'COMMERCIAL',
  companyname: 'Sun & Sons 太阳能 Pty Ltd',
  companyphone: '1300 123 456',
  gststatus: 1,
};

describe('dryRun: true', () => {
  it('returns the exact request it would send, with the key redacted, and sends no update', async () => {
    const result = await server.call({ pkcustomerid: 79461, phone1: '0400999888', dryRun: true });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toEqual({
      ok: true,
      mode: 'live',
      message: expect.stringMatching(/dry run/i),
      dryRun: true,
      customerId: 79461,
      customer: { pkcustomerid: 79461, firstname: 'John', surname: 'Smith', email: 'john.smith@example.com' },
      changed: true,
      changes: [{ field: 'phone1', from: '0412345678', to: '0400999888' }],
      unchanged: [],
      fieldsSent: ['phone1'],
      request: {
        method: 'POST',
        url: previewUrl(),
        body: {
          data: {
            apikey: '[REDACTED]',
            action: 'updatecustomer',
            pkcustomerid: 79461,
            phone1: '0400999888',
          },
        },
      },
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(String(structured(result).message)).toMatch(/not sent|nothing changed/i);
    expect(textData(result)).toEqual(structured(result));
    const summary = result.content[0]?.type === 'text' ? result.content[0].text.split('\n')[0] : '';
    expect(summary).toBe(
      'Dry run for John Smith (79461): would change phone1 0412345678 → 0400999888. Nothing was sent.',
    );

    // The record is read, as for the live call; no update goes out.
    expect(requestsSeen(standIn)).toEqual(['read 79461']);
    expect(standIn.customers.get(79461)).toEqual(seeded(79461));
  });

  it('previews a full update of every field, typed, in the document’s field order', async () => {
    const result = await server.call({ ...FULL, dryRun: true });
    const data = structured(result);
    expect(data).toMatchObject({
      ok: true,
      dryRun: true,
      customerId: 80125,
      fieldsSent: [
        'firstname',
        'surname',
        'email',
        'phone1',
        'phone2',
        'type',
        'companyname',
        'companyphone',
        'gststatus',
      ],
    });
    const request = data.request as { method: string; url: string; body: { data: Record<string, unknown> } };
    expect(request.body).toEqual({ data: { apikey: '[REDACTED]', action: 'updatecustomer', ...FULL } });
    expect(Object.keys(request.body.data)).toEqual([
      'apikey',
      'action',
      'pkcustomerid',
      'firstname',
      'surname',
      'email',
      'phone1',
      'phone2',
      'type',
      'companyname',
      'companyphone',
      'gststatus',
    ]);
    expect(typeof request.body.data.pkcustomerid).toBe('number');
    expect(typeof request.body.data.gststatus).toBe('number');
    // dryRun is an instruction to this server, never a field for Solar Proof.
    expect(request.body.data).not.toHaveProperty('dryRun');
    // The new email is checked as for the live call (it is free); no update goes out.
    expect(requestsSeen(standIn)).toEqual(['read 80125', 'read zoe.obrien@example.com.au']);
    expect(standIn.customers.get(80125)).toEqual(seeded(80125));
  });

  it('previews exactly what the live call then sends, body and URL', async () => {
    const args = { pkcustomerid: 79461, gststatus: 0, phone2: '', companyname: 'Smith & Co' };
    const preview = structured(await server.call({ ...args, dryRun: true }));
    expect(updateRequests(standIn)).toHaveLength(0);

    const live = await server.call(args);
    expect(structured(live)).toMatchObject({ ok: true, customerId: 79461 });
    expect(updateRequests(standIn)).toHaveLength(1);
    const sent = updateRequests(standIn)[0];
    if (!sent) throw new Error('nothing sent');

    const request = preview.request as { method: string; url: string; body: unknown };
    expect(request.method).toBe(sent.method);
    // The preview is the real request with the key's value, and only that, replaced.
    expect(sent.rawBody).toBe(
      JSON.stringify(request.body).replace('"[REDACTED]"', JSON.stringify(SENTINEL_KEY)),
    );
    const sentUrl = new URL(`${standIn.url}${sent.path}?${sent.rawQuery}`);
    sentUrl.searchParams.set('api_key', '[REDACTED]');
    expect(request.url).toBe(sentUrl.toString());
  });

  it('reads the record as the live call does: an unknown id is CUSTOMER_NOT_FOUND, no update sent', async () => {
    const result = await server.call({ pkcustomerid: 999999, firstname: 'Nobody', dryRun: true });
    expect(structured(result)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
    expect(requestsSeen(standIn)).toEqual(['read 999999']);
  });

  it('dryRun: false is a live update', async () => {
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth', dryRun: false });
    expect(structured(result)).toMatchObject({ ok: true, customerId: 79461, fieldsSent: ['surname'] });
    expect(structured(result)).not.toHaveProperty('dryRun');
    expect(structured(result)).not.toHaveProperty('request');
    expect(updateRequests(standIn)).toHaveLength(1);
    expect(standIn.customers.get(79461)?.surname).toBe('Smyth');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['nothing to change', { pkcustomerid: 79461, dryRun: true }, ''],
    ['a bad email', { pkcustomerid: 79461, email: 'john.smith@', dryRun: true }, 'email'],
    ['a string id', { pkcustomerid: '79461', firstname: 'John', dryRun: true }, 'pkcustomerid'],
    ['an unknown type', { pkcustomerid: 79461, type: 'INDUSTRIAL', dryRun: true }, 'type'],
    [
      'an unknown argument',
      { pkcustomerid: 79461, firstname: 'John', preview: true, dryRun: true },
      'preview',
    ],
    ['dryRun as a string', { pkcustomerid: 79461, firstname: 'John', dryRun: 'true' }, 'dryRun'],
  ])('%s with dryRun is still INVALID_ARGUMENTS', async (_label, args, path) => {
    const result = await server.call(args);
    expect(result.isError).toBe(true);
    const data = structured(result);
    expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS', retryable: false });
    expect(data).not.toHaveProperty('request');
    const issues = data.issues as Array<{ path: string }>;
    expect(issues.length).toBeGreaterThan(0);
    if (path) expect(issues.map((i) => i.path).join(' ')).toContain(path);
    expect(textData(result)).toEqual(structured(result));
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('dryRun with SOLARPROOF_HTTP_METHOD=PUT', () => {
  it('previews a PUT and still sends nothing', async () => {
    const put = await startInProcessServer(envFor(standIn, { SOLARPROOF_HTTP_METHOD: 'PUT' }));
    try {
      const result = await put.call({ pkcustomerid: 79461, email: 'john@example.com', dryRun: true });
      expect(structured(result)).toMatchObject({
        ok: true,
        dryRun: true,
        customerId: 79461,
        fieldsSent: ['email'],
        request: {
          method: 'PUT',
          url: previewUrl(),
          body: {
            data: {
              apikey: '[REDACTED]',
              action: 'updatecustomer',
              pkcustomerid: 79461,
              email: 'john@example.com',
            },
          },
        },
      });
      expect(textData(result)).toEqual(structured(result));
      expect(updateRequests(standIn)).toHaveLength(0);
      expect(standIn.customers.get(79461)).toEqual(seeded(79461));
      for (const r of put.results) expectNoKey(r);
      expectNoKey(put.stderr());
    } finally {
      await put.close();
    }
  });
});
