/**
 * Issue 7 (item 6): shutdown threw away outcomes it could have had. With 10 updates in flight
 * against a slow upstream, SIGTERM or stdin closing ended the process at once and recorded all 10
 * as CANCELLED, though the upstream applied them. Now calls in flight get one grace period to finish
 * (their real results go to the client and their real outcomes to the audit log), new calls are
 * refused, and only what outlasts the grace is cancelled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_GRACE_MS } from '../../src/lifecycle.js';
import { readAudit } from '../helpers/audit.js';
import {
  envFor,
  expectNoKey,
  startServer,
  startStandIn,
  structured,
  updateRequests,
} from '../helpers/harness.js';
import { initialize, updateCall } from '../helpers/json-rpc.js';
import { spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';

/** Exiting takes the grace at most, plus the cancelled calls' last audit write and the close. */
const EXIT_MARGIN_MS = 4_000;
const UPSTREAM_MS = 500;
const IN_FLIGHT = 10;

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn.close());

/** The stand-in answers every update after UPSTREAM_MS, applying it as the contract says. */
function slowUpstream(): void {
  standIn.reset();
  standIn.setBehaviour(async () => {
    await sleep(UPSTREAM_MS);
    return false;
  });
}

const phoneOf = (i: number) => `0400 000 ${String(i).padStart(3, '0')}`;

const updateData = (request: { body: unknown }) => (request.body as { data: Record<string, unknown> }).data;

function outcomes(auditPath: string) {
  return readAudit(auditPath).filter((record) => record.event === 'update_completed');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('shutdown with calls in flight', () => {
  it(`SIGTERM: ${IN_FLIGHT} updates in flight all get their real results and audit outcomes`, async () => {
    slowUpstream();
    const env = envFor(standIn);
    const server = await startServer(env);
    const pid = server.pid as number;
    try {
      const calls = Array.from({ length: IN_FLIGHT }, (_, i) =>
        server.call({ pkcustomerid: 79461, phone2: phoneOf(i) }, { timeout: 30_000 }),
      );
      await standIn.waitForRequests(IN_FLIGHT, 10_000);
      process.kill(pid, 'SIGTERM');
      const results = await Promise.all(calls);
      for (const result of results) {
        expect(result.isError, JSON.stringify(result)).toBeUndefined();
        expect(structured(result)).toMatchObject({ ok: true, customerId: 79461 });
      }
      const deadline = Date.now() + SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS;
      while (alive(pid) && Date.now() < deadline) await sleep(20);
      expect(alive(pid)).toBe(false);
      const records = outcomes(env.SOLARPROOF_AUDIT_LOG as string);
      expect(records).toHaveLength(IN_FLIGHT);
      expect(records.map((record) => record.outcome)).toEqual(Array(IN_FLIGHT).fill('success'));
      expect(server.stderr()).toMatch(/shutting down/);
      expectNoKey(server.stderr());
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      await server.close().catch(() => {});
    }
  });

  it(`stdin closing: ${IN_FLIGHT} updates in flight all get their real results, then the process exits 0`, async () => {
    slowUpstream();
    const env = envFor(standIn);
    const server = spawnServer(env);
    try {
      server.send(initialize(0));
      await server.response(0);
      for (let i = 1; i <= IN_FLIGHT; i++)
        server.send(updateCall(i, { pkcustomerid: 79461, phone2: phoneOf(i) }));
      await standIn.waitForRequests(IN_FLIGHT, 10_000);
      const closedAt = performance.now();
      server.child.stdin.end();
      const exit = await server.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS, closedAt);
      expect(exit.code).toBe(0);
      for (let i = 1; i <= IN_FLIGHT; i++) {
        const response = await server.response(i, 0);
        expect(response.result?.structuredContent, JSON.stringify(response)).toMatchObject({ ok: true });
      }
      const records = outcomes(env.SOLARPROOF_AUDIT_LOG as string);
      expect(records.map((record) => record.outcome)).toEqual(Array(IN_FLIGHT).fill('success'));
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('a call that outlasts the grace is cancelled (result and audit), new calls are refused, and the process exits within the grace', async () => {
    standIn.reset();
    // The update of 79461 is never answered; every other request comes back after UPSTREAM_MS.
    standIn.setBehaviour(async (_req, _res, recorded) => {
      if (recorded.query.action === 'updatecustomer' && updateData(recorded).pkcustomerid === 79461)
        return true;
      await sleep(UPSTREAM_MS);
      return false;
    });
    const env = envFor(standIn);
    const server = spawnServer(env);
    try {
      server.send(initialize(0));
      await server.response(0);
      server.send(updateCall(1, { pkcustomerid: 79461, phone2: phoneOf(1) }));
      await standIn.waitForRequests(2, 10_000); // its read, then its update
      server.send(updateCall(2, { pkcustomerid: 80125, phone2: phoneOf(2) }));
      await standIn.waitForRequests(3, 10_000);
      const signalledAt = performance.now();
      server.child.kill('SIGTERM');
      await sleep(100);
      server.send(updateCall(3, { pkcustomerid: 81307, phone2: phoneOf(3) }));
      const refused = await server.response(3);
      expect(refused.error?.message, JSON.stringify(refused)).toMatch(/shutting down/i);

      const exit = await server.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS, signalledAt);
      expect(exit.ms).toBeGreaterThanOrEqual(SHUTDOWN_GRACE_MS - 200);
      const finished = await server.response(2, 0);
      expect(finished.result.structuredContent).toMatchObject({ ok: true, customerId: 80125 });
      const cancelled = await server.response(1, 0);
      expect(cancelled.result.isError).toBe(true);
      expect(cancelled.result.structuredContent).toMatchObject({ ok: false, code: 'CANCELLED' });

      // Each call read, then updated; the one that finished read back; the cancelled one did not.
      expect(updateRequests(standIn).map((r) => updateData(r).pkcustomerid)).toEqual([79461, 80125]);
      expect(standIn.requests).toHaveLength(5);
      const byCustomer = new Map(outcomes(env.SOLARPROOF_AUDIT_LOG as string).map((r) => [r.customerId, r]));
      expect(byCustomer.get(80125)).toMatchObject({ outcome: 'success' });
      expect(byCustomer.get(79461)).toMatchObject({
        outcome: 'error',
        code: 'CANCELLED',
        applied: 'unknown',
      });
      expect(byCustomer.has(81307)).toBe(false);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
