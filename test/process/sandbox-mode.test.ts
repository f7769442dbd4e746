/**
 * Sandbox mode end to end: the built server started with SOLARPROOF_SANDBOX=1 (or --sandbox) and no
 * API key runs against its own sandbox Solar Proof on 127.0.0.1. Every example in the source
 * document (updatecustomer.txt) must work against it as written.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, readAuditText } from '../helpers/audit.js';
import {
  expectNoKey,
  SENTINEL_KEY,
  type ServerProcess,
  startServer,
  structured,
  tempAuditPath,
  textData,
} from '../helpers/harness.js';

/** Every result must say, in data and in text, that nothing real was touched. */
function expectSandboxResult(result: CallToolResult): void {
  expect(structured(result).mode).toBe('sandbox');
  const block = result.content[0];
  expect(block?.type).toBe('text');
  if (block?.type === 'text') expect(block.text).toContain('SANDBOX');
  expect(textData(result)).toEqual(structured(result));
}

/** A request body from the document → update_customer arguments (the server adds the key and action). */
function argsFrom(documentBody: string): Record<string, unknown> {
  const { data } = JSON.parse(documentBody) as { data: Record<string, unknown> };
  const { apikey, action, ...args } = data;
  expect(apikey).toBe('YOUR_API_KEY');
  expect(action).toBe('updatecustomer');
  return args;
}

// The examples of updatecustomer.txt, copied as written (JavaScript and PHP/Python objects as JSON).
const CURL_FULL_UPDATE = `{
    "data": {
      "apikey": "YOUR_API_KEY",
      "action": "updatecustomer",
      "pkcustomerid": 79461,
      "firstname": "John",
      "surname": "Smith",
      "phone1": "0412345678",
      "phone2": "0298765432",
      "email": "john.smith@example.com",
      "gststatus": 1,
      "companyname": "Smith Solar Solutions",
      "companyphone": "1300123456",
      "type": "RESIDENTIAL"
    }
  }`;
const FETCH_SINGLE_FIELD = `{
  "data": {
    "apikey": "YOUR_API_KEY",
    "action": "updatecustomer",
    "pkcustomerid": 79461,
    "phone1": "0400999888"
  }
}`;
const PHP_PYTHON_UPDATE = `{
  "data": {
    "apikey": "YOUR_API_KEY",
    "action": "updatecustomer",
    "pkcustomerid": 79461,
    "firstname": "John",
    "surname": "Smith",
    "phone1": "0412345678",
    "email": "john.smith@example.com"
  }
}`;
const PARTIAL_EMAIL_AND_PHONE = `{
  "data": {
    "apikey": "YOUR_API_KEY",
    "action": "updatecustomer",
    "pkcustomerid": 79461,
    "email": "newemail@example.com",
    "phone1": "0400111222"
  }
}`;

describe('SOLARPROOF_SANDBOX=1 with no API key', () => {
  let server: ServerProcess;
  const auditPath = tempAuditPath();

  const getCustomer = async (email: string) => {
    const result = await server.callTool('get_customer', { email });
    return { result, customer: structured(result).customer as Record<string, unknown> | undefined };
  };
  const update = (args: Record<string, unknown>) => server.callTool('update_customer', args);

  beforeAll(async () => {
    server = await startServer({ SOLARPROOF_SANDBOX: '1', SOLARPROOF_AUDIT_LOG: auditPath });
  });

  afterAll(async () => {
    await server.close();
    // Every result of the file, failures included, was marked as sandbox.
    expect(server.results.length).toBeGreaterThan(10);
    for (const serialised of server.results) expectSandboxResult(JSON.parse(serialised) as CallToolResult);
  });

  it('starts, says so on stderr, and lists its tools', async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'find_customers',
      'get_customer',
      'list_updates',
      'undo_update',
      'update_customer',
    ]);
    await expect.poll(() => server.stderr()).toMatch(/"mode":"sandbox"/);
    // The key in sandbox mode is the server's own placeholder: the log must not suggest one was configured.
    expect(server.stderr()).toMatch(/"apiKey":"not needed \(sandbox\)"/);
  });

  it('get_customer finds John Smith (79461)', async () => {
    const { result, customer } = await getCustomer('john.smith@example.com');
    expect(result.isError).toBeFalsy();
    expectSandboxResult(result);
    expect(structured(result)).toMatchObject({ ok: true, mode: 'sandbox' });
    expect(customer).toMatchObject({
      pkcustomerid: 79461,
      firstname: 'John',
      surname: 'Smith',
      phone1: '0412345678',
      type: 'RESIDENTIAL',
      gststatus: 1,
    });
  });

  it('update_customer changes John’s phone and a second get_customer shows the change', async () => {
    const result = await update({ pkcustomerid: 79461, phone1: '0411 222 333' });
    expectSandboxResult(result);
    expect(structured(result)).toMatchObject({
      ok: true,
      mode: 'sandbox',
      customerId: 79461,
      fieldsSent: ['phone1'],
    });
    const { customer } = await getCustomer('john.smith@example.com');
    expect(customer).toMatchObject({ phone1: '0411 222 333', phone2: '0298765432', firstname: 'John' });
  });

  it('an unknown customer id is CUSTOMER_NOT_FOUND', async () => {
    const result = await update({ pkcustomerid: 12345, firstname: 'Nobody' });
    expect(result.isError).toBe(true);
    expectSandboxResult(result);
    expect(structured(result)).toMatchObject({
      ok: false,
      mode: 'sandbox',
      code: 'CUSTOMER_NOT_FOUND',
      message: 'No customer exists with ID: 12345',
    });
  });

  it('an unknown email is CUSTOMER_NOT_FOUND', async () => {
    const { result } = await getCustomer('nobody@example.com');
    expect(structured(result)).toMatchObject({ ok: false, mode: 'sandbox', code: 'CUSTOMER_NOT_FOUND' });
  });

  it('a locked customer is PERMISSION_DENIED', async () => {
    const result = await update({ pkcustomerid: 83019, firstname: 'Ari' });
    expect(structured(result)).toMatchObject({ ok: false, mode: 'sandbox', code: 'PERMISSION_DENIED' });
  });

  it('a dry run previews a request to the local sandbox and changes nothing', async () => {
    const result = await update({ pkcustomerid: 79461, firstname: 'Jonathan', dryRun: true });
    expectSandboxResult(result);
    const data = structured(result);
    expect(data).toMatchObject({ ok: true, mode: 'sandbox', dryRun: true });
    const request = data.request as { url: string; body: { data: Record<string, unknown> } };
    expect(request.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/apidata\.php\?api_key=%5BREDACTED%5D&action=updatecustomer$/,
    );
    expect(request.body.data.apikey).toBe('[REDACTED]');
    const { customer } = await getCustomer('john.smith@example.com');
    expect(customer?.firstname).toBe('John');
  });

  describe('every example in updatecustomer.txt', () => {
    it('the cURL full update of 79461 with all its fields', async () => {
      const args = argsFrom(CURL_FULL_UPDATE);
      const result = await update(args);
      expect(structured(result)).toMatchObject({
        ok: true,
        mode: 'sandbox',
        message: 'Customer updated successfully!',
        customerId: 79461,
      });
      // Only what differs is sent (here the phone an earlier test changed); the rest is listed as unchanged.
      expect(structured(result).fieldsSent).toEqual(['phone1']);
      expect(
        [
          ...(structured(result).fieldsSent as string[]),
          ...(structured(result).unchanged as string[]),
        ].sort(),
      ).toEqual(
        Object.keys(args)
          .filter((k) => k !== 'pkcustomerid')
          .sort(),
      );
      const { customer } = await getCustomer('john.smith@example.com');
      const { pkcustomerid, ...fields } = args;
      expect(customer).toMatchObject({ pkcustomerid, ...fields });
    });

    it('the JavaScript single-field update (phone1 only) leaves every other field alone', async () => {
      const before = (await getCustomer('john.smith@example.com')).customer;
      const result = await update(argsFrom(FETCH_SINGLE_FIELD));
      expect(structured(result)).toMatchObject({ ok: true, customerId: 79461, fieldsSent: ['phone1'] });
      const after = (await getCustomer('john.smith@example.com')).customer;
      expect(after).toEqual({ ...before, phone1: '0400999888' });
    });

    it('the PHP and Python update (names, phone1, email)', async () => {
      const before = (await getCustomer('john.smith@example.com')).customer;
      const args = argsFrom(PHP_PYTHON_UPDATE);
      const result = await update(args);
      // The names and email are already John Smith's: only phone1 (changed by the example before) is sent.
      expect(structured(result)).toMatchObject({
        ok: true,
        customerId: 79461,
        fieldsSent: ['phone1'],
        unchanged: ['firstname', 'surname', 'email'],
      });
      const after = (await getCustomer('john.smith@example.com')).customer;
      const { pkcustomerid: _id, ...fields } = args;
      expect(after).toEqual({ ...before, ...fields });
    });

    it('the partial update of email and phone1; the customer is then found by the new email only', async () => {
      const before = (await getCustomer('john.smith@example.com')).customer;
      const result = await update(argsFrom(PARTIAL_EMAIL_AND_PHONE));
      expect(structured(result)).toMatchObject({
        ok: true,
        customerId: 79461,
        fieldsSent: ['email', 'phone1'],
      });
      const { customer: after } = await getCustomer('newemail@example.com');
      expect(after).toEqual({ ...before, email: 'newemail@example.com', phone1: '0400111222' });
      const { result: old } = await getCustomer('john.smith@example.com');
      expect(structured(old)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
    });
  });

  it('audit records say mode "sandbox"', () => {
    const records = readAudit(auditPath);
    // Phone change, 12345, 83019, dry run and the four examples: two records each.
    expect(records).toHaveLength(16);
    for (const record of records) expect(record.mode).toBe('sandbox');
    expect(records.filter((r) => r.event === 'update_completed').map((r) => r.outcome)).toEqual([
      'success',
      'error',
      'error',
      'dry_run',
      'success',
      'success',
      'success',
      'success',
    ]);
  });

  it('list_updates shows the sandbox’s updates, and undo_update puts one back', async () => {
    const listed = structured(await server.callTool('list_updates', { pkcustomerid: 79461, limit: 1 }));
    const [latest] = listed.updates as Array<Record<string, unknown>>;
    expect(latest).toMatchObject({
      outcome: 'success',
      undoable: true,
      changes: [
        { field: 'email', from: 'john.smith@example.com', to: 'newemail@example.com' },
        { field: 'phone1', from: '0412345678', to: '0400111222' },
      ],
    });
    const undo = await server.callTool('undo_update', { requestId: latest?.requestId });
    expectSandboxResult(undo);
    expect(structured(undo)).toMatchObject({ ok: true, mode: 'sandbox', verified: true });
    const { customer } = await getCustomer('john.smith@example.com');
    expect(customer).toMatchObject({ email: 'john.smith@example.com', phone1: '0412345678' });
  });
});

describe('--sandbox argument, with a live key and a stale live base URL configured', () => {
  let server: ServerProcess;
  const auditPath = tempAuditPath();

  beforeAll(async () => {
    server = await startServer(
      {
        // Both are for live use; in sandbox mode neither may be used (127.0.0.1:1 has no listener).
        SOLARPROOF_API_KEY: SENTINEL_KEY,
        SOLARPROOF_BASE_URL: 'http://127.0.0.1:1',
        SOLARPROOF_AUDIT_LOG: auditPath,
      },
      ['--sandbox'],
    );
  });

  afterAll(async () => {
    await server.close();
    for (const serialised of server.results) {
      expectSandboxResult(JSON.parse(serialised) as CallToolResult);
      expectNoKey(serialised);
    }
    expectNoKey(server.stderr());
    expectNoKey(readAuditText(auditPath));
  });

  it('lists tools, looks up and updates against the sandbox', async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name)).toContain('undo_update');

    const lookup = await server.callTool('get_customer', { email: 'mei.chen@example.net' });
    expect(structured(lookup)).toMatchObject({
      ok: true,
      mode: 'sandbox',
      customer: { pkcustomerid: 80125, firstname: 'Mei', gststatus: 0 },
    });

    const updated = await server.callTool('update_customer', { pkcustomerid: 80125, gststatus: 1 });
    expect(structured(updated)).toMatchObject({ ok: true, mode: 'sandbox', customerId: 80125 });

    const again = await server.callTool('get_customer', { email: 'mei.chen@example.net' });
    expect(structured(again)).toMatchObject({ customer: { gststatus: 1 } });

    const missing = await server.callTool('update_customer', { pkcustomerid: 12345, surname: 'Nobody' });
    expect(structured(missing)).toMatchObject({ ok: false, mode: 'sandbox', code: 'CUSTOMER_NOT_FOUND' });

    const records = readAudit(auditPath);
    expect(records).toHaveLength(4);
    for (const record of records) expect(record.mode).toBe('sandbox');
  });
});
