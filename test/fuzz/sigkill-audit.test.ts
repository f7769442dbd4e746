/**
 * The audit log under SIGKILL: a burst of 50 concurrent updates, the server killed in the middle
 * of it (at several points, one process each). Afterwards every update the stand-in received has
 * its update_requested record in the file (the record is written and synced before the request
 * leaves), with the values before (as read) and after (as sent), and every line of the file is
 * complete JSON: no torn line. A server started again on the file lists those updates, the ones
 * whose outcome the kill cut off as "unknown" and still undoable.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  envFor,
  expectNoKey,
  startServer,
  startStandIn,
  structured,
  updateRequests,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';
import { isRecord, readJsonLines } from './support.js';

const BURST = 50;
const CUSTOMERS = [79461, 80125, 81307, 82550];

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn?.close());

describe('SIGKILL in the middle of a burst', () => {
  // When to kill: after n update requests arrived, or n ms after the first request (a read) arrived.
  it.each([
    ['requests', 1],
    ['requests', 8],
    ['requests', 20],
    ['requests', 35],
    ['ms', 0],
    ['ms', 10],
    ['ms', 30],
    ['ms', 60],
    ['ms', 100],
    ['ms', 150],
  ] as const)(
    'killed after %s=%i: every request the stand-in saw is in the audit log, no torn line',
    async (unit, killAfter) => {
      standIn.reset();
      // Slow answers to the updates keep the burst in flight, so the kill lands among writes and
      // requests; the reads before them are answered at once, so the writes start early.
      standIn.setBehaviour(async (_req, _res, recorded) => {
        if (recorded.query.action === 'updatecustomer') await sleep(20 + Math.random() * 40);
        return false;
      });
      // The real disk, not tmpfs: where a torn write would show.
      const auditPath = join(mkdtempSync(join(tmpdir(), 'solarproof-sigkill-')), 'audit.jsonl');
      const server = await startServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: auditPath }));
      const pid = server.pid;
      expect(pid).toBeTypeOf('number');

      const tag = `${killAfter}${Date.now() % 1_000}`;
      const phoneOf = (i: number) => `08 ${tag} ${String(i).padStart(3, '0')}`.slice(0, 30);
      const calls = Array.from({ length: BURST }, (_, i) =>
        server.call({ pkcustomerid: CUSTOMERS[i % CUSTOMERS.length] as number, phone2: phoneOf(i) }),
      );
      const settled = Promise.allSettled(calls);
      if (unit === 'requests') {
        const deadline = Date.now() + 10_000;
        while (updateRequests(standIn).length < killAfter && Date.now() < deadline) await sleep(1);
      } else {
        // Counted from the first read's arrival, so the kill lands among the reads, the audit
        // writes and syncs, and the updates.
        await standIn.waitForRequests(1, 10_000);
        if (killAfter > 0) await sleep(killAfter);
      }
      process.kill(pid as number, 'SIGKILL');
      const outcomes = await settled;
      await server.close().catch(() => {});
      await sleep(100); // let the stand-in finish recording what was already on the wire

      const records = readJsonLines(auditPath); // throws on a torn or unparseable line
      const requested = records.filter((r) => r.event === 'update_requested');
      // Each record of intent says what was read and what is to be sent.
      for (const record of requested) {
        expect(record.after, JSON.stringify(record)).toEqual({ phone2: record.fields?.phone2 });
        expect(typeof record.before?.phone2, JSON.stringify(record)).toBe('string');
      }
      const seen = new Set(requested.map((r) => `${r.customerId}|${r.after?.phone2}`));
      let matched = 0;
      for (const request of updateRequests(standIn)) {
        const data = isRecord(request.body) && isRecord(request.body.data) ? request.body.data : undefined;
        if (!data) continue; // a request cut off by the kill before its body arrived carries nothing
        const key = `${String(data.pkcustomerid)}|${String(data.phone2)}`;
        expect(
          seen.has(key),
          `the stand-in received ${key} but the audit log has no update_requested for it`,
        ).toBe(true);
        matched++;
      }
      // Every successful result, too, has its record (and its outcome, written before the result).
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.status !== 'fulfilled') continue;
        expect(seen.has(`${CUSTOMERS[i % CUSTOMERS.length]}|${phoneOf(i)}`)).toBe(true);
      }
      if (unit === 'requests') expect(matched).toBeGreaterThanOrEqual(killAfter);

      // A server started again on the same log lists what the killed one recorded.
      standIn.setBehaviour(undefined);
      const again = await startServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: auditPath }));
      try {
        const listed = structured(await again.callTool('list_updates', { limit: 50 }));
        const updates = listed.updates as Array<Record<string, any>>;
        expect(updates).toHaveLength(Math.min(50, requested.length));
        const outcomes = new Map(
          records.filter((r) => r.event === 'update_completed').map((r) => [r.requestId, r.outcome]),
        );
        for (const update of updates) {
          expect(update.changes).toEqual([
            { field: 'phone2', from: expect.any(String), to: expect.any(String) },
          ]);
          expect(update.outcome).toBe(outcomes.get(update.requestId) ?? 'unknown');
          if (update.outcome === 'unknown') expect(update.undoable).toBe(true);
        }
        for (const result of again.results) expectNoKey(result);
      } finally {
        await again.close();
      }
      expectNoKey(JSON.stringify(records));
      expectNoKey(server.stderr());
      for (const result of server.results) expectNoKey(result);
      console.info(
        `kill after ${unit}=${killAfter}: stand-in received ${matched}, audit has ${requested.length} requested / ${records.length} lines, ${outcomes.filter((o) => o.status === 'fulfilled').length} results came back`,
      );
    },
    20_000,
  );
});
