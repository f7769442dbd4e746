/**
 * Changes that know what they overwrite (issue 10), end to end: the built server over stdio,
 * driven by the SDK Client, against the stand-in Solar Proof. Every assertion on what went
 * upstream reads the stand-in's record of the real requests, in order ("read 79461", "update").
 */
import { appendFileSync, closeSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { parseAuditLine } from '../../src/audit/history.js';
import { SUCCESS_MESSAGE } from '../../src/sandbox/api.js';
import { seedCustomers } from '../../src/sandbox/customers.js';
import { type AuditRecord, readAudit, readAuditText } from '../helpers/audit.js';
import {
  answer,
  envFor,
  expectNoKey,
  onUpdates,
  requestsSeen,
  SENTINEL_KEY,
  type ServerProcess,
  sentData,
  startServer,
  structured,
  tempAuditPath,
  textData,
  updateRequests,
  useStandInAndServer,
} from '../helpers/harness.js';
import { type Behaviour, type StandIn, send } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
const auditPath = tempAuditPath();
useStandInAndServer({ SOLARPROOF_TIMEOUT_MS: '3000', SOLARPROOF_AUDIT_LOG: auditPath }, (s, p) => {
  standIn = s;
  server = p;
});

const seeded = (id: number) => seedCustomers().find((c) => c.pkcustomerid === id);
const summaryOf = (result: CallToolResult) =>
  result.content[0]?.type === 'text' ? result.content[0].text.split('\n')[0] : '';
/** The audit file's records; lines this file's own tests tear on purpose are left out. */
const auditRecords = (path = auditPath) =>
  readAuditText(path)
    .split('\n')
    .map(parseAuditLine)
    .filter((record) => record !== undefined) as unknown as AuditRecord[];
const recordsOf = (requestId: unknown) => auditRecords().filter((r) => r.requestId === requestId);
const JOHN = { pkcustomerid: 79461, firstname: 'John', surname: 'Smith', email: 'john.smith@example.com' };

type Data = Record<string, unknown>;
const updateData = (request: { body: unknown }) => (request.body as { data: Data }).data;

/** Stores an update's fields as the contract would, except `ignored`; true when it was for a known customer. */
function store(data: Data, ignored: readonly string[] = []): boolean {
  const customer = standIn.customers.get(Number(data.pkcustomerid));
  if (!customer) return false;
  for (const [field, value] of Object.entries(data)) {
    if (!['apikey', 'action', 'pkcustomerid', ...ignored].includes(field))
      Object.assign(customer, { [field]: value });
  }
  return true;
}

/** Solar Proof saves the update, then never answers (the call times out). */
const appliesThenHangs: Behaviour = (_req, _res, recorded) => {
  store(updateData(recorded));
  return true;
};

/** Answers both forms of Get Customer by id "not found", as a service without id lookups would. */
const refusesIdLookups: Behaviour = (_req, res, { query }) => {
  const byId =
    query.action === 'getcustomer' ||
    (query.action === 'getcustomerByemail' && /^[0-9]+$/.test(query.customer_email ?? ''));
  if (!byId) return false;
  send(res, 404, { code: 'CUSTOMER_NOT_FOUND', message: 'No customer exists with that email' });
  return true;
};

describe('update_customer reads the record first', () => {
  it('sends only the fields that differ, names the customer and lists each change from → to', async () => {
    const result = await server.call({
      pkcustomerid: 79461,
      phone1: '0400 999 888',
      surname: 'Smith',
      gststatus: 1,
    });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({
      ok: true,
      customer: JOHN,
      changed: true,
      changes: [{ field: 'phone1', from: '0412345678', to: '0400 999 888' }],
      unchanged: ['surname', 'gststatus'],
      fieldsSent: ['phone1'],
      verified: true,
    });
    expect(textData(result)).toEqual(structured(result));
    expect(summaryOf(result)).toBe('Updated John Smith (79461): phone1 0412345678 → 0400 999 888.');
    // One read, the update, one read back; the unchanged fields are not in the body.
    expect(requestsSeen(standIn)).toEqual(['read 79461', 'update', 'read 79461']);
    expect(sentData(standIn)).toEqual({
      apikey: expect.any(String),
      action: 'updatecustomer',
      pkcustomerid: 79461,
      phone1: '0400 999 888',
    });
  });

  it('a phone with the same digits spaced differently is sent: the stored text changes', async () => {
    const result = await server.call({ pkcustomerid: 79461, phone1: '0412 345 678' });
    expect(structured(result)).toMatchObject({
      changes: [{ field: 'phone1', from: '0412345678', to: '0412 345 678' }],
    });
    expect(updateRequests(standIn)).toHaveLength(1);
  });

  it('nothing differs: no update is sent, changed is false, and the audit log says no_change', async () => {
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smith', gststatus: 1 });
    expect(result.isError).toBeFalsy();
    const data = structured(result);
    expect(data).toMatchObject({ ok: true, customer: JOHN, changed: false, changes: [], fieldsSent: [] });
    expect(String(data.message)).toMatch(/already has .*nothing was sent/i);
    expect(requestsSeen(standIn)).toEqual(['read 79461']);
    expect(recordsOf(data.requestId).map((r) => r.outcome ?? r.event)).toEqual([
      'update_requested',
      'no_change',
    ]);
  });

  it('an id that does not exist is CUSTOMER_NOT_FOUND before any update is sent', async () => {
    const result = await server.call({ pkcustomerid: 12345, phone1: '0400 999 888' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
    expect(String(structured(result).hint)).toMatch(/nothing was sent/i);
    expect(requestsSeen(standIn)).toEqual(['read 12345']);
  });

  it.each<[string, () => void, string]>([
    ['the read times out', () => standIn.once(() => true), 'TIMEOUT'],
    [
      'the service stays unavailable',
      () => standIn.setBehaviour(answer(503, { error: 'down' })),
      'UPSTREAM_UNAVAILABLE',
    ],
    [
      'a server error',
      () => standIn.once(answer(500, { code: 'UPDATE_FAILED', message: 'db down' })),
      'UPDATE_FAILED',
    ],
    [
      'an answer that cannot be read',
      () =>
        standIn.once((_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
          return true;
        }),
      'UNEXPECTED_RESPONSE',
    ],
    [
      'an answer for another customer',
      () => standIn.once(answer(200, { customer_id: '80125', customer_email: 'mei.chen@example.net' })),
      'UNEXPECTED_RESPONSE',
    ],
  ])(
    'a failed read (%s) fails the call with its error, says nothing changed, sends nothing',
    async (_label, misbehave, code) => {
      misbehave();
      const result = await server.call({ pkcustomerid: 79461, phone1: '0400 999 888' });
      expect(structured(result)).toMatchObject({ ok: false, code });
      expect(String(structured(result).hint)).toMatch(/nothing was sent and nothing changed/i);
      expect(updateRequests(standIn)).toHaveLength(0);
      expect(standIn.customers.get(79461)?.phone1).toBe('0412345678');
      expect(recordsOf(structured(result).requestId).at(-1)).toMatchObject({ outcome: 'error', code });
    },
  );
});

describe('expect', () => {
  it('a wrong id that exists: CONFLICT with the current values, and nothing is sent', async () => {
    // 80125 typed for 79461: the assistant passes the email the user gave.
    const result = await server.call({
      pkcustomerid: 80125,
      phone1: '0400 999 888',
      expect: { email: 'john.smith@example.com' },
    });
    expect(result.isError).toBe(true);
    const data = structured(result);
    expect(data).toMatchObject({
      ok: false,
      code: 'CONFLICT',
      retryable: false,
      customer: { pkcustomerid: 80125, firstname: 'Mei', surname: 'Chen', email: 'mei.chen@example.net' },
      current: { email: 'mei.chen@example.net' },
      conflicts: [{ field: 'email', expected: 'john.smith@example.com', current: 'mei.chen@example.net' }],
    });
    expect(String(data.message)).toContain('Mei Chen (80125)');
    expect(String(data.hint)).toMatch(/look the customer up again/i);
    expect(requestsSeen(standIn)).toEqual(['read 80125']);
    expect(standIn.customers.get(80125)).toEqual(seeded(80125));
    expect(recordsOf(data.requestId).at(-1)).toMatchObject({ outcome: 'error', code: 'CONFLICT' });
  });

  it('compares as a person would: email case and spaces, phone formats; other fields exactly', async () => {
    const result = await server.call({
      pkcustomerid: 79461,
      phone2: '02 9000 1111',
      expect: {
        email: ' John.Smith@EXAMPLE.com ',
        phone1: '+61 412 345 678',
        firstname: 'John',
        gststatus: 1,
      },
    });
    expect(structured(result)).toMatchObject({ ok: true, changed: true, verified: true });
    const refused = await server.call({
      pkcustomerid: 79461,
      phone2: '02 9000 2222',
      expect: { firstname: 'john' },
    });
    expect(structured(refused)).toMatchObject({ code: 'CONFLICT', current: { firstname: 'John' } });
  });

  it('the dry run checks expect too', async () => {
    const result = await server.call({
      pkcustomerid: 80125,
      phone1: '0400 999 888',
      dryRun: true,
      expect: { surname: 'Smith' },
    });
    expect(structured(result)).toMatchObject({ code: 'CONFLICT', current: { surname: 'Chen' } });
    expect(updateRequests(standIn)).toHaveLength(0);
  });
});

describe('email changes', () => {
  it('an email another customer has: EMAIL_IN_USE naming them, nothing sent (dry run too)', async () => {
    for (const dryRun of [false, true]) {
      standIn.reset();
      const result = await server.call({ pkcustomerid: 79461, email: 'Mei.Chen@example.net', dryRun });
      const data = structured(result);
      expect(data).toMatchObject({
        ok: false,
        code: 'EMAIL_IN_USE',
        retryable: false,
        inUseBy: { pkcustomerid: 80125, firstname: 'Mei', surname: 'Chen', email: 'mei.chen@example.net' },
      });
      expect(String(data.message)).toContain('Mei Chen (80125)');
      expect(requestsSeen(standIn)).toEqual(['read 79461', 'read Mei.Chen@example.net']);
    }
    expect(standIn.customers.get(79461)?.email).toBe('john.smith@example.com');
  });

  it('a free address (not found) is sent; the customer’s own address in another case is theirs', async () => {
    const free = await server.call({ pkcustomerid: 79461, email: 'john.s@example.com' });
    expect(structured(free)).toMatchObject({
      ok: true,
      changes: [{ field: 'email', to: 'john.s@example.com' }],
    });
    expect(requestsSeen(standIn)).toEqual(['read 79461', 'read john.s@example.com', 'update', 'read 79461']);
    standIn.reset();
    const own = await server.call({ pkcustomerid: 79461, email: 'John.Smith@example.com' });
    expect(structured(own)).toMatchObject({ ok: true, fieldsSent: ['email'] });
  });

  it('a lookup of the new address that fails refuses the change (fail closed)', async () => {
    standIn.setBehaviour((_req, res, { query }) => {
      if (query.action !== 'getcustomerByemail' || !query.customer_email?.includes('@')) return false;
      send(res, 503, { error: 'maintenance' });
      return true;
    });
    const result = await server.call({ pkcustomerid: 79461, email: 'new.john@example.com' });
    const data = structured(result);
    expect(data).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
    expect(String(data.message)).toMatch(/email change was refused/i);
    expect(String(data.hint)).toMatch(/nothing was sent.*known to be free/i);
    expect(updateRequests(standIn)).toHaveLength(0);
  });
});

describe('verify after the update', () => {
  it('a field the stand-in silently ignores: verified false and a warning naming it (still ok)', async () => {
    standIn.setBehaviour(
      onUpdates((_req, res, recorded) => {
        const data = updateData(recorded);
        store(data, ['phone2']);
        send(res, 200, { Message: SUCCESS_MESSAGE, CustomerId: String(data.pkcustomerid) });
        return true;
      }),
    );
    const result = await server.call({ pkcustomerid: 79461, phone1: '0400 111 222', phone2: '02 9111 2222' });
    const data = structured(result);
    expect(data).toMatchObject({ ok: true, verified: false, fieldsSent: ['phone1', 'phone2'] });
    expect(data.warnings).toEqual([
      expect.stringMatching(/phone2 is 0298765432, not 02 9111 2222.*did not take/),
    ]);
    expect(summaryOf(result)).toMatch(/phone2 did not take/);
    expect(recordsOf(data.requestId).at(-1)).toMatchObject({
      outcome: 'success',
      verified: false,
      notTaken: ['phone2'],
    });
  });

  it('a read-back that fails leaves the update done: verified false with the reason', async () => {
    let updated = false;
    standIn.setBehaviour((_req, res, { query }) => {
      if (query.action === 'updatecustomer') {
        updated = true;
        return false;
      }
      if (!updated) return false;
      send(res, 503, { error: 'maintenance' });
      return true;
    });
    const result = await server.call({ pkcustomerid: 79461, phone1: '0400 333 444' });
    expect(structured(result)).toMatchObject({ ok: true, verified: false });
    expect(structured(result).warnings).toEqual([
      expect.stringMatching(/could not be read back.*UPSTREAM_UNAVAILABLE/),
    ]);
    expect(standIn.customers.get(79461)?.phone1).toBe('0400 333 444');
  });
});

describe('uncertain outcomes are resolved by reading the record', () => {
  it('TIMEOUT, but the update was saved: applied true, not retryable, hint says do not repeat', async () => {
    standIn.setBehaviour(onUpdates(appliesThenHangs));
    const result = await server.call({ pkcustomerid: 79461, phone1: '0400 555 666' });
    const data = structured(result);
    expect(data).toMatchObject({
      ok: false,
      code: 'TIMEOUT',
      applied: true,
      retryable: false,
      customer: JOHN,
    });
    expect(String(data.hint)).toMatch(/was applied\. Do not repeat it/);
    expect(requestsSeen(standIn)).toEqual(['read 79461', 'update', 'read 79461']);
    expect(recordsOf(data.requestId).at(-1)).toMatchObject({
      outcome: 'error',
      code: 'TIMEOUT',
      applied: true,
    });
  });

  it('TIMEOUT, and the update was not saved: applied false, retryable', async () => {
    standIn.setBehaviour(onUpdates(() => true));
    const result = await server.call({ pkcustomerid: 79461, phone1: '0400 555 666' });
    expect(structured(result)).toMatchObject({ code: 'TIMEOUT', applied: false, retryable: true });
    expect(String(structured(result).hint)).toMatch(/not applied\. Calling again .* is safe/);
  });

  it('NETWORK (the connection reset after the update was saved): applied true', async () => {
    standIn.setBehaviour(
      onUpdates((req, _res, recorded) => {
        store(updateData(recorded));
        req.socket.destroy();
        return true;
      }),
    );
    const result = await server.call({ pkcustomerid: 79461, phone2: '02 9555 6666' });
    expect(structured(result)).toMatchObject({ code: 'NETWORK', applied: true, retryable: false });
  });

  it('part of it took, or the record cannot be read back: applied unknown', async () => {
    standIn.setBehaviour(
      onUpdates((_req, _res, recorded) => {
        store(updateData(recorded), ['phone2']);
        return true;
      }),
    );
    const partly = await server.call({ pkcustomerid: 79461, phone1: '0400 777 888', phone2: '02 9777 8888' });
    expect(structured(partly)).toMatchObject({ code: 'TIMEOUT', applied: 'unknown', retryable: true });

    standIn.reset();
    let updated = false;
    standIn.setBehaviour((_req, res, { query }) => {
      if (query.action === 'updatecustomer') {
        updated = true;
        return true; // never answers
      }
      if (!updated) return false;
      send(res, 503, { error: 'maintenance' });
      return true;
    });
    const unreadable = await server.call({ pkcustomerid: 79461, phone1: '0400 777 999' });
    expect(structured(unreadable)).toMatchObject({ code: 'TIMEOUT', applied: 'unknown' });
    expect(String(structured(unreadable).hint)).toMatch(/could not be read back/);
  });

  it('cancellation ends the call at once: applied unknown, nothing read back', async () => {
    standIn.setBehaviour(onUpdates(appliesThenHangs));
    const controller = new AbortController();
    const call = server.call({ pkcustomerid: 79461, phone1: '0400 121 212' }, { signal: controller.signal });
    await standIn.waitForRequests(2, 10_000);
    controller.abort();
    await expect(call).rejects.toThrow();
    await expect
      .poll(
        () =>
          readAudit(auditPath)
            .filter((r) => r.event === 'update_completed')
            .at(-1),
        { timeout: 5_000 },
      )
      .toMatchObject({ outcome: 'error', code: 'CANCELLED', applied: 'unknown' });
    // The update's request was aborted, and the record was not read back.
    await expect.poll(() => updateRequests(standIn)[0]?.abortedByClient, { timeout: 2_000 }).toBe(true);
    expect(requestsSeen(standIn)).toEqual(['read 79461', 'update']);
  });
});

describe('undo_update', () => {
  it('puts back exactly the old values, is itself undoable, and a second undo changes nothing', async () => {
    const update = structured(
      await server.call({ pkcustomerid: 81307, phone2: '0400 818 181', companyname: 'Greenleaf Holdings' }),
    );
    expect(update).toMatchObject({ ok: true, verified: true });
    standIn.requests.length = 0;

    const undo = await server.callTool('undo_update', { requestId: update.requestId });
    expect(undo.isError).toBeFalsy();
    const data = structured(undo);
    expect(data).toMatchObject({
      ok: true,
      undoOf: update.requestId,
      verified: true,
      changes: [
        { field: 'phone2', from: '0400 818 181', to: '0421 555 010' },
        { field: 'companyname', from: 'Greenleaf Holdings', to: 'Greenleaf Brewing Co. Pty Ltd' },
      ],
    });
    expect(summaryOf(undo)).toMatch(
      /^Undid the update: Siobhan O’Connor \(81307\): phone2 0400 818 181 → 0421 555 010/,
    );
    // The record is exactly as it was, every field.
    expect(standIn.customers.get(81307)).toEqual(seeded(81307));
    expect(requestsSeen(standIn)).toEqual(['read 81307', 'update', 'read 81307']);
    expect(sentData(standIn)).toMatchObject({
      phone2: '0421 555 010',
      companyname: 'Greenleaf Brewing Co. Pty Ltd',
    });
    expect(recordsOf(data.requestId)[0]).toMatchObject({
      undoOf: update.requestId,
      before: { phone2: '0400 818 181', companyname: 'Greenleaf Holdings' },
      after: { phone2: '0421 555 010', companyname: 'Greenleaf Brewing Co. Pty Ltd' },
    });

    // Idempotent: undoing it again finds the old values already there.
    standIn.requests.length = 0;
    const again = structured(await server.callTool('undo_update', { requestId: update.requestId }));
    expect(again).toMatchObject({ ok: true, changed: false, undoOf: update.requestId });
    expect(updateRequests(standIn)).toHaveLength(0);

    // The undo is undoable: the update's values come back.
    const redo = structured(await server.callTool('undo_update', { requestId: data.requestId }));
    expect(redo).toMatchObject({ ok: true, undoOf: data.requestId });
    expect(standIn.customers.get(81307)).toMatchObject({
      phone2: '0400 818 181',
      companyname: 'Greenleaf Holdings',
    });
  });

  it('a field changed since the update: CONFLICT listing field, value written, value now; nothing sent', async () => {
    const update = structured(await server.call({ pkcustomerid: 82550, phone2: '0400 825 500' }));
    // Someone changes the record in Solar Proof afterwards.
    const record = standIn.customers.get(82550);
    if (record) record.phone2 = '0499 999 999';
    standIn.requests.length = 0;
    const undo = structured(await server.callTool('undo_update', { requestId: update.requestId }));
    expect(undo).toMatchObject({
      ok: false,
      code: 'CONFLICT',
      current: { phone2: '0499 999 999' },
      conflicts: [{ field: 'phone2', expected: '0400 825 500', current: '0499 999 999' }],
    });
    expect(requestsSeen(standIn)).toEqual(['read 82550']);
    expect(standIn.customers.get(82550)?.phone2).toBe('0499 999 999');
  });

  it('a dry run previews the restoring request and sends nothing', async () => {
    const update = structured(await server.call({ pkcustomerid: 79461, companyphone: '1300 999 000' }));
    standIn.requests.length = 0;
    const preview = structured(
      await server.callTool('undo_update', { requestId: update.requestId, dryRun: true }),
    );
    expect(preview).toMatchObject({
      ok: true,
      dryRun: true,
      request: { body: { data: { pkcustomerid: 79461, companyphone: '1300123456', apikey: '[REDACTED]' } } },
    });
    expect(updateRequests(standIn)).toHaveLength(0);
  });

  it('what cannot be undone is a clear error with a hint, and nothing is sent', async () => {
    const dry = structured(await server.call({ pkcustomerid: 79461, phone1: '0400 000 001', dryRun: true }));
    const none = structured(await server.call({ pkcustomerid: 79461, firstname: 'John' }));
    const failed = structured(
      await server.call({ pkcustomerid: 80125, phone1: '0400 000 002', expect: { surname: 'Smith' } }),
    );
    // An older record: no fingerprint, no before.
    const legacyId = '5fcfd092-9d27-46f7-9fc7-fbd137a74cf3';
    appendFileSync(
      auditPath,
      `${JSON.stringify({ time: '2026-01-01T00:00:00.000Z', event: 'update_requested', requestId: legacyId, mode: 'live', customerId: 79461, dryRun: false, fields: { phone1: '0400 999 888' } })}\n${JSON.stringify({ time: '2026-01-01T00:00:00.100Z', event: 'update_completed', requestId: legacyId, mode: 'live', customerId: 79461, outcome: 'success', message: SUCCESS_MESSAGE, attempts: 1, durationMs: 17 })}\n`,
    );
    standIn.requests.length = 0;
    for (const [requestId, message] of [
      ['00000000-0000-4000-8000-000000000000', /No update with requestId/],
      [dry.requestId, /was a dry run/],
      [none.requestId, /changed nothing/],
      [failed.requestId, /failed \(CONFLICT\)/],
      [legacyId, /without the values it replaced/],
    ] as const) {
      const result = structured(await server.callTool('undo_update', { requestId }));
      expect(result, String(requestId)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
      expect(String(result.message)).toMatch(message);
      expect(String(result.hint)).toMatch(/list_updates|update_customer/);
    }
    expect(standIn.requests).toHaveLength(0);
  });

  it('an update made by another instance (its own audit log) is not found, the error says where it is, and nothing is sent', async () => {
    const update = structured(await server.call({ pkcustomerid: 80125, phone2: '02 8111 0001' }));
    expect(update).toMatchObject({ ok: true });
    const other = await startServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: tempAuditPath() }));
    try {
      standIn.requests.length = 0;
      const result = structured(await other.callTool('undo_update', { requestId: update.requestId }));
      expect(result).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
      expect(String(result.message)).toMatch(/No update with requestId/);
      expect(String(result.message)).toMatch(/another instance of this server is in that instance's own log/);
      expect(standIn.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});

describe('list_updates', () => {
  it('the most recent updates, newest first, with customer, changes from → to and outcome; by customer; limited', async () => {
    const first = structured(await server.call({ pkcustomerid: 80125, phone2: '02 8000 0001' }));
    const second = structured(await server.call({ pkcustomerid: 79461, phone2: '02 8000 0002' }));
    const third = structured(
      await server.call({ pkcustomerid: 80125, phone2: '02 8000 0003', dryRun: true }),
    );
    standIn.requests.length = 0;

    const listed = await server.callTool('list_updates', { limit: 3 });
    const data = structured(listed);
    expect(data.ok).toBe(true);
    const updates = data.updates as Data[];
    expect(updates.map((u) => u.requestId)).toEqual([third.requestId, second.requestId, first.requestId]);
    expect(updates[1]).toEqual({
      requestId: second.requestId,
      time: expect.any(String),
      customer: JOHN,
      changes: [{ field: 'phone2', from: '0298765432', to: '02 8000 0002' }],
      outcome: 'success',
      verified: true,
      undoable: true,
    });
    expect(updates[0]).toMatchObject({ outcome: 'dry_run', undoable: false });

    const mei = structured(await server.callTool('list_updates', { pkcustomerid: 80125, limit: 2 }));
    expect((mei.updates as Data[]).map((u) => u.requestId)).toEqual([third.requestId, first.requestId]);
    // It reads the local log only.
    expect(standIn.requests).toHaveLength(0);
  });

  it('skips torn and foreign lines, also a record glued to a torn fragment', async () => {
    const before = structured(await server.call({ pkcustomerid: 79461, phone2: '02 8100 0001' }));
    appendFileSync(
      auditPath,
      '{"time":"2026-01-01T00:00:00.000Z","event":"update_req\n{"foreign":true}\n\u0000\u0001garbage\n',
    );
    // A torn fragment left without its newline: the server's next record is written right after it.
    appendFileSync(auditPath, '{"time":"2026-01-01T00:00:00.000Z","event":"update_com');
    const glued = structured(await server.call({ pkcustomerid: 79461, phone2: '02 8100 0002' }));
    const data = structured(await server.callTool('list_updates', { pkcustomerid: 79461, limit: 2 }));
    expect((data.updates as Data[]).map((u) => [u.requestId, u.outcome])).toEqual([
      [glued.requestId, 'success'],
      [before.requestId, 'success'],
    ]);
    expect((data.searched as Data).skippedLines).toBeGreaterThanOrEqual(3);
  });

  it('sees only this mode and this API key: sandbox records and another key’s are neither listed nor undone', async () => {
    const sandboxId = '11111111-1111-4111-8111-111111111111';
    const otherKeyId = '22222222-2222-4222-8222-222222222222';
    const record = (requestId: string, extra: Data) =>
      `${JSON.stringify({ time: '2026-01-02T00:00:00.000Z', event: 'update_requested', requestId, customerId: 79461, dryRun: false, fields: { phone1: '0400 999 888' }, before: { phone1: '0412345678' }, after: { phone1: '0400 999 888' }, ...extra })}\n${JSON.stringify({ time: '2026-01-02T00:00:00.100Z', event: 'update_completed', requestId, customerId: 79461, outcome: 'success', ...extra })}\n`;
    appendFileSync(auditPath, record(sandboxId, { mode: 'sandbox', keyId: 'aaaaaaaaaaaa' }));
    appendFileSync(auditPath, record(otherKeyId, { mode: 'live', keyId: 'bbbbbbbbbbbb' }));
    const data = structured(await server.callTool('list_updates', { limit: 50 }));
    const ids = (data.updates as Data[]).map((u) => u.requestId);
    expect(ids).not.toContain(sandboxId);
    expect(ids).not.toContain(otherKeyId);
    for (const requestId of [sandboxId, otherKeyId]) {
      const undo = structured(await server.callTool('undo_update', { requestId }));
      expect(undo).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
    }
    expect(updateRequests(standIn)).toHaveLength(0);
  });

  it('every record carries before and after, and the key never reaches the audit file', () => {
    const records = auditRecords().filter((r) => r.event === 'update_requested' && r.keyId);
    expect(records.length).toBeGreaterThan(10);
    for (const record of records) {
      if (record.code === undefined && record.after !== undefined)
        expect(record.before ?? record.copy).toBeDefined();
    }
    expectNoKey(readAuditText(auditPath));
  });
});

describe('when Solar Proof answers no lookup by id', () => {
  it('updates go on: from a copy read earlier, or with a warning; expect against the copy, or refused', async () => {
    const path = tempAuditPath();
    const own = await startServer(
      envFor(standIn, { SOLARPROOF_TIMEOUT_MS: '3000', SOLARPROOF_AUDIT_LOG: path }),
    );
    try {
      standIn.setBehaviour(refusesIdLookups);
      // No copy: every field sent, from null, a warning that nothing could be checked.
      const blind = structured(await own.call({ pkcustomerid: 79461, phone1: '0400 999 888' }));
      expect(blind).toMatchObject({
        ok: true,
        changes: [{ field: 'phone1', from: null, to: '0400 999 888' }],
        verified: false,
      });
      expect(blind.warnings).toEqual(
        expect.arrayContaining([expect.stringMatching(/current values could not be checked/)]),
      );
      expect(requestsSeen(standIn)).toEqual(['read 79461', 'read getcustomer 79461', 'update']);

      // With expect and no copy: refused before anything is sent, with a way forward.
      standIn.requests.length = 0;
      const unchecked = structured(
        await own.call({
          pkcustomerid: 80125,
          phone1: '0400 111 111',
          expect: { email: 'mei.chen@example.net' },
        }),
      );
      expect(unchecked).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
      expect(String(unchecked.hint)).toMatch(/get_customer/);
      expect(standIn.requests).toHaveLength(0);

      // A copy from get_customer: expect is checked against it, every field is sent (even one that
      // looks unchanged), from comes from the copy with its age, and it is read back by email.
      expect(structured(await own.callTool('get_customer', { email: 'mei.chen@example.net' })).ok).toBe(true);
      standIn.requests.length = 0;
      const fromCopy = structured(
        await own.call({
          pkcustomerid: 80125,
          phone1: '0433 221 908',
          surname: 'Chen-Li',
          expect: { email: 'mei.chen@example.net' },
        }),
      );
      expect(fromCopy).toMatchObject({
        ok: true,
        changes: [
          { field: 'surname', from: 'Chen', to: 'Chen-Li' },
          { field: 'phone1', from: '0433 221 908', to: '0433 221 908' },
        ],
        copyAgeSeconds: expect.any(Number),
        verified: true,
      });
      expect(requestsSeen(standIn)).toEqual(['update', 'read mei.chen@example.net']);

      const conflict = structured(
        await own.call({
          pkcustomerid: 80125,
          phone1: '0400 111 111',
          expect: { email: 'john.smith@example.com' },
        }),
      );
      expect(conflict).toMatchObject({ code: 'CONFLICT', current: { email: 'mei.chen@example.net' } });
      expect(String(conflict.message)).toMatch(/a copy read \d+ s ago/);
      expect(readAudit(path).filter((r) => r.event === 'update_requested')[2]).toMatchObject({
        copy: { values: { surname: 'Chen', phone1: '0433 221 908' } },
      });
      for (const result of own.results) expectNoKey(result);
    } finally {
      await own.close();
    }
  });
});

describe('a mistyped id as the first lookup of a session', () => {
  it('takes the fallback once; the update’s own "not found" then turns the read back on', async () => {
    const own = await startServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: tempAuditPath() }));
    try {
      // Not found by either form before any id lookup worked: it cannot be told from "no id lookups".
      const typo = structured(await own.call({ pkcustomerid: 99999, phone1: '0400 999 888' }));
      expect(typo).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
      expect(requestsSeen(standIn)).toEqual(['read 99999', 'read getcustomer 99999', 'update']);
      // Solar Proof said, to the update, that 99999 does not exist: id lookups are tried again.
      standIn.requests.length = 0;
      const next = structured(await own.call({ pkcustomerid: 79461, phone1: '0400 999 888' }));
      expect(next).toMatchObject({ ok: true, verified: true, changes: [{ from: '0412345678' }] });
      expect(requestsSeen(standIn)).toEqual(['read 79461', 'update', 'read 79461']);
    } finally {
      await own.close();
    }
  });
});

describe('history in other setups', () => {
  it('a 300 MB audit log: list_updates reads only its tail', async () => {
    const path = tempAuditPath();
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 300 * 1024 * 1024); // sparse: no disk
    closeSync(fd);
    appendFileSync(path, '\n', { mode: 0o600 });
    const own = await startServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: path }));
    try {
      const update = structured(await own.call({ pkcustomerid: 79461, phone2: '02 8300 0001' }));
      const started = performance.now();
      const data = structured(await own.callTool('list_updates', {}));
      const ms = performance.now() - started;
      expect((data.updates as Data[]).map((u) => u.requestId)).toEqual([update.requestId]);
      expect(data.searched).toMatchObject({ bytes: 4 * 1024 * 1024, wholeLog: false });
      expect(String(data.message)).toMatch(/only the last 4 MiB/);
      console.info(`list_updates over a 300 MB log: ${Math.round(ms)} ms through stdio`);
    } finally {
      await own.close();
    }
  });

  it('with the audit log off: list_updates says so, undo_update cannot undo', async () => {
    const own = await startServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: 'off' }));
    try {
      const listed = structured(await own.callTool('list_updates', {}));
      expect(listed).toMatchObject({ ok: true, updates: [] });
      expect(String(listed.message)).toMatch(/audit log is off/);
      const undo = structured(await own.callTool('undo_update', { requestId: 'x' }));
      expect(undo).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
    } finally {
      await own.close();
    }
  });
});

describe('the key', () => {
  it('given as an expected value or a requestId, it is quoted nowhere: results, audit file', async () => {
    const conflict = await server.call({
      pkcustomerid: 79461,
      phone1: '0400 999 888',
      expect: { firstname: SENTINEL_KEY },
    });
    expect(structured(conflict)).toMatchObject({ code: 'CONFLICT' });
    expect(String(structured(conflict).message)).toContain('[REDACTED]');
    const undo = await server.callTool('undo_update', { requestId: SENTINEL_KEY.slice(0, 64) });
    expect(structured(undo)).toMatchObject({ code: 'INVALID_ARGUMENTS' });
    const listed = await server.callTool('list_updates', { limit: 50 });
    for (const result of [conflict, undo, listed]) expectNoKey(JSON.stringify(result));
    // The harness checks every result of the file and the server's stderr when it ends.
    expectNoKey(readFileSync(auditPath, 'utf8'));
  });
});
