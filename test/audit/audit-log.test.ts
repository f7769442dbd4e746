/**
 * The audit log, end to end: the server (in process) writes it while update_customer runs against
 * the stand-in Solar Proof on 127.0.0.1; the tests read the file the user would read. Where the log
 * goes by default, and what the start-up line says of it: test/process/audit-log-location.test.ts.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditRecord, readAudit, readAuditText, tempDir } from '../helpers/audit.js';
import {
  answer,
  envFor,
  expectNoKey,
  onUpdates,
  SENTINEL_KEY,
  type ServerProcess,
  startInProcessServer,
  structured,
  tempAuditPath,
  updateRequests,
  useStandInAndInProcessServer,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
const auditPath = tempAuditPath();
useStandInAndInProcessServer({ SOLARPROOF_AUDIT_LOG: auditPath, SOLARPROOF_TIMEOUT_MS: '4000' }, (s, p) => {
  standIn = s;
  server = p;
});
afterAll(() => expectNoKey(readAuditText(auditPath)));

/** Runs `action` and returns the audit records it added to the shared server's file. */
async function recordsOf<T>(action: () => Promise<T>): Promise<{ value: T; records: AuditRecord[] }> {
  const before = readAudit(auditPath).length;
  const value = await action();
  return { value, records: readAudit(auditPath).slice(before) };
}

const keyId = expect.stringMatching(/^[0-9a-f]{12}$/);
const isoTime = (time: unknown) => typeof time === 'string' && new Date(time).toISOString() === time;

describe('records of an update', () => {
  it('a successful update writes exactly "requested" then "completed", sharing the result’s requestId', async () => {
    const { value: result, records } = await recordsOf(() =>
      server.call({ pkcustomerid: 79461, phone1: '0400999888', companyname: 'Smith & Co' }),
    );
    expect(structured(result)).toMatchObject({ ok: true, customerId: 79461 });
    const requestId = structured(result).requestId;
    expect(requestId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));

    expect(records).toHaveLength(2);
    const [requested, completed] = records;
    expect(requested).toEqual({
      time: expect.any(String),
      event: 'update_requested',
      requestId,
      mode: 'live',
      keyId,
      customerId: 79461,
      dryRun: false,
      fields: { phone1: '0400999888', companyname: 'Smith & Co' },
      customer: { firstname: 'John', surname: 'Smith', email: 'john.smith@example.com' },
      // What the fields held when read just before, and what was sent: enough to undo it.
      before: { phone1: '0412345678', companyname: 'Smith Solar Solutions' },
      after: { phone1: '0400999888', companyname: 'Smith & Co' },
    });
    expect(completed).toEqual({
      time: expect.any(String),
      event: 'update_completed',
      requestId,
      mode: 'live',
      keyId,
      customerId: 79461,
      outcome: 'success',
      message: 'Customer updated successfully!',
      attempts: 1,
      verified: true,
      durationMs: expect.any(Number),
    });
    expect(isoTime(requested?.time)).toBe(true);
    expect(isoTime(completed?.time)).toBe(true);
    expect(Date.parse(String(completed?.time))).toBeGreaterThanOrEqual(Date.parse(String(requested?.time)));
    expect(completed?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records the values exactly, including gststatus 0 and an empty string (a clear)', async () => {
    const { records } = await recordsOf(() =>
      server.call({ pkcustomerid: 79461, gststatus: 0, phone2: '', surname: 'O’Brien-Nguyễn' }),
    );
    expect(records[0]?.fields).toEqual({ gststatus: 0, phone2: '', surname: 'O’Brien-Nguyễn' });
    expect(records[0]?.before).toEqual({ gststatus: 1, phone2: '0298765432', surname: 'Smith' });
    expect(records[0]?.after).toEqual({ gststatus: 0, phone2: '', surname: 'O’Brien-Nguyễn' });
    expect(records[1]).toMatchObject({ outcome: 'success' });
  });

  it('a retried update records its attempts', async () => {
    standIn.setBehaviour(onUpdates(answer(503, { error: 'maintenance' }), 1));
    const { records } = await recordsOf(() => server.call({ pkcustomerid: 79461, surname: 'Smyth' }));
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ event: 'update_completed', outcome: 'success', attempts: 2 });
  });

  it('a failed update (here, its read first) records outcome "error" with the code and message', async () => {
    const { value: result, records } = await recordsOf(() =>
      server.call({ pkcustomerid: 999999, firstname: 'Nobody' }),
    );
    expect(structured(result)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
    expect(records).toHaveLength(2);
    const [requested, completed] = records;
    expect(requested).toMatchObject({
      event: 'update_requested',
      mode: 'live',
      customerId: 999999,
      dryRun: false,
      fields: { firstname: 'Nobody' },
    });
    expect(requested).not.toHaveProperty('before');
    expect(completed).toEqual({
      time: expect.any(String),
      event: 'update_completed',
      requestId: requested?.requestId,
      mode: 'live',
      keyId,
      customerId: 999999,
      outcome: 'error',
      code: 'CUSTOMER_NOT_FOUND',
      message: 'No customer exists with ID: 999999',
      httpStatus: 404,
      attempts: 1,
      durationMs: expect.any(Number),
    });
    // The failed result names its audit records, so an unknown outcome can be traced.
    expect(structured(result).requestId).toBe(requested?.requestId);
  });

  it('an update that times out is recorded as an error with code TIMEOUT', async () => {
    standIn.setBehaviour(onUpdates(() => true, 1)); // never answers
    const { value: result, records } = await recordsOf(() =>
      server.call({ pkcustomerid: 79461, surname: 'Late' }),
    );
    expect(structured(result)).toMatchObject({ ok: false, code: 'TIMEOUT', applied: false });
    expect(records.map((r) => r.event)).toEqual(['update_requested', 'update_completed']);
    expect(records[1]).toMatchObject({ outcome: 'error', code: 'TIMEOUT', applied: false });
  });

  it('a dry run records dryRun true and outcome "dry_run"', async () => {
    const { value: result, records } = await recordsOf(() =>
      server.call({ pkcustomerid: 79461, email: 'john@example.com', dryRun: true }),
    );
    expect(structured(result)).toMatchObject({ ok: true, dryRun: true });
    expect(updateRequests(standIn)).toHaveLength(0);
    const requestId = structured(result).requestId;
    expect(records).toEqual([
      {
        time: expect.any(String),
        event: 'update_requested',
        requestId,
        mode: 'live',
        keyId,
        customerId: 79461,
        dryRun: true,
        fields: { email: 'john@example.com' },
        customer: { firstname: 'John', surname: 'Smith', email: 'john.smith@example.com' },
        before: { email: 'john.smith@example.com' },
        after: { email: 'john@example.com' },
      },
      {
        time: expect.any(String),
        event: 'update_completed',
        requestId,
        mode: 'live',
        keyId,
        customerId: 79461,
        outcome: 'dry_run',
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('refused arguments and lookups write nothing', async () => {
    const { records } = await recordsOf(async () => {
      await server.call({ pkcustomerid: 79461 });
      await server.call({ pkcustomerid: 79461, email: 'not-an-email', dryRun: true });
      await server.callTool('get_customer', { email: 'john.smith@example.com' });
    });
    expect(records).toEqual([]);
  });

  it('the "requested" record is on disk before the request reaches Solar Proof', async () => {
    const seen: Array<{ requested: boolean; completed: boolean }> = [];
    standIn.setBehaviour(
      onUpdates((_req, _res, recorded) => {
        const phone2 = (recorded.body as { data: { phone2?: string } }).data.phone2;
        const records = readAudit(auditPath);
        const requested = records.find(
          (r) => r.event === 'update_requested' && r.customerId === 81307 && r.fields?.phone2 === phone2,
        );
        seen.push({
          requested: requested !== undefined,
          completed: records.some(
            (r) => r.event === 'update_completed' && r.requestId === requested?.requestId,
          ),
        });
        return false; // the contract answers normally
      }, 1),
    );
    const result = await server.call({ pkcustomerid: 81307, phone2: '0421 999 123' });
    expect(structured(result)).toMatchObject({ ok: true });
    expect(seen).toEqual([{ requested: true, completed: false }]);
    expect(standIn.customers.get(81307)?.phone2).toBe('0421 999 123');
  });
});

describe('the key never reaches the audit file', () => {
  it('not when the upstream error message echoes it, nor when a field value contains it', async () => {
    standIn.setBehaviour(
      onUpdates(
        answer(401, { code: 'INVALID_API_KEY', message: `Bad key ${SENTINEL_KEY} for this account` }),
      ),
    );
    const { records } = await recordsOf(() =>
      server.call({ pkcustomerid: 79461, companyname: `Acme ${SENTINEL_KEY}` }),
    );
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ outcome: 'error', code: 'INVALID_API_KEY' });
    expect(String(records[1]?.message)).toContain('[REDACTED]');
    expectNoKey(JSON.stringify(records));
    expectNoKey(readFileSync(auditPath, 'utf8'));
  });
});

describe('concurrency', () => {
  it('30 concurrent updates leave 60 whole lines, one requested and one completed per requestId', async () => {
    const path = tempAuditPath();
    const busy = await startInProcessServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: path }));
    try {
      const ids = [79461, 80125, 81307, 82550];
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          busy.call({
            pkcustomerid: ids[i % ids.length] as number,
            // Long values make a torn or interleaved write show.
            companyname: `Company ${String(i).padStart(2, '0')} ${'x'.repeat(120)}`,
          }),
        ),
      );
      for (const result of results) expect(structured(result)).toMatchObject({ ok: true });

      const text = readFileSync(path, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(lines).toHaveLength(60);
      const records = lines.map((line) => JSON.parse(line) as AuditRecord);

      const byId = new Map<string, AuditRecord[]>();
      records.forEach((record) => {
        byId.set(record.requestId, [...(byId.get(record.requestId) ?? []), record]);
      });
      expect(byId.size).toBe(30);
      for (const [requestId, pair] of byId) {
        expect(
          pair.map((r) => r.event),
          requestId,
        ).toEqual(['update_requested', 'update_completed']);
        expect(pair[1]?.outcome).toBe('success');
        expect(pair[1]?.customerId).toBe(pair[0]?.customerId);
      }
      // Every result's requestId is in the file with the values that call sent.
      results.forEach((result, i) => {
        const pair = byId.get(String(structured(result).requestId));
        expect(pair?.[0]?.customerId).toBe(ids[i % ids.length]);
        expect(pair?.[0]?.fields).toEqual({
          companyname: `Company ${String(i).padStart(2, '0')} ${'x'.repeat(120)}`,
        });
      });
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await busy.close();
    }
  });
});

describe('an audit log that cannot be written', () => {
  const underAFile = () => {
    const dir = tempDir('solarproof-audit-bad-');
    writeFileSync(join(dir, 'file.txt'), 'not a folder');
    return join(dir, 'file.txt', 'audit.jsonl');
  };
  const aFolder = () => tempDir('solarproof-audit-dir-');

  it.each([
    ['a path under a regular file', underAFile],
    ['a path that is a folder', aFolder],
  ])('%s refuses the update with AUDIT_UNAVAILABLE and sends no update', async (_label, makePath) => {
    const path = makePath();
    const broken = await startInProcessServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: path }));
    try {
      for (const args of [
        { pkcustomerid: 79461, phone1: '0400999888' },
        { pkcustomerid: 79461, phone1: '0400999888', dryRun: true },
        // Still refused on a second try: the server did not give up on the log, nor crash.
        { pkcustomerid: 80125, firstname: 'May' },
      ]) {
        const result = await broken.call(args);
        expect(result.isError).toBe(true);
        const data = structured(result);
        expect(data).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE', retryable: false });
        expect(String(data.hint)).toContain('SOLARPROOF_AUDIT_LOG');
        expect(String(data.message)).toContain(path);
      }
      // The record is read first (a read changes nothing); the update itself is never sent.
      expect(updateRequests(standIn)).toHaveLength(0);
      expect(standIn.customers.get(79461)?.phone1).toBe('0412345678');

      // Reads are not audited, so they still work.
      const lookup = await broken.callTool('get_customer', { email: 'john.smith@example.com' });
      expect(structured(lookup)).toMatchObject({ ok: true });
      for (const r of broken.results) expectNoKey(r);
      expectNoKey(broken.stderr());
    } finally {
      await broken.close();
    }
  });

  it('creates missing folders for the configured path, private to the user', async () => {
    const root = tempDir('solarproof-audit-nested-');
    const path = join(root, 'a', 'b', 'audit.jsonl');
    const nested = await startInProcessServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: path }));
    try {
      const result = await nested.call({ pkcustomerid: 79461, phone1: '0400999888' });
      expect(structured(result)).toMatchObject({ ok: true });
      expect(readAudit(path)).toHaveLength(2);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(root, 'a', 'b')).mode & 0o777).toBe(0o700);
    } finally {
      await nested.close();
    }
  });
});
