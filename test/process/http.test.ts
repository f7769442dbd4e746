/**
 * HTTP mode as a process (dist/index.js --http): started with stdin closed as a service manager
 * does, the URL it logs for port 0, the start-up refusals, SIGTERM with calls in flight, and two
 * instances side by side, each with its own audit file.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_MS, SHUTDOWN_GRACE_MS } from '../../src/lifecycle.js';
import { PACKAGE_VERSION } from '../../src/package-info.js';
import { readAudit, readAuditText } from '../helpers/audit.js';
import {
  envFor,
  expectNoKey,
  startStandIn,
  structured,
  tempAuditPath,
  updateRequests,
} from '../helpers/harness.js';
import {
  bearer,
  httpClient,
  listeningUrl,
  MCP_HEADERS,
  raw,
  rpc,
  rpcResult,
  SENTINEL_TOKEN,
} from '../helpers/http.js';
import { type ServerChild, spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';

const EXIT_MARGIN_MS = 4_000;

let standIn: StandIn;
const children: ServerChild[] = [];
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(async () => {
  for (const child of children) {
    child.child.kill('SIGKILL');
    expectNoKey(child.stderr());
    expectNoKey(child.stderr(), SENTINEL_TOKEN);
  }
  await standIn.close();
});

/** The built server with --http on a free port, its stdin closed at once. */
async function startHttpProcess(env: Record<string, string>, args: string[] = []) {
  const child = spawnServer(
    { PATH: process.env.PATH ?? '', SOLARPROOF_HTTP_PORT: '0', SOLARPROOF_LOG_LEVEL: 'info', ...env },
    { args: ['--http', ...args] },
  );
  children.push(child);
  child.child.stdin.end();
  const url = await listeningUrl(child.stderr);
  return { child, url };
}

const phoneOf = (i: number) => `0400 000 ${String(i).padStart(3, '0')}`;

describe('solarproof-mcp --http as a process', () => {
  it('serves with stdin closed, logs the URL it bound for port 0, and exits 0 on SIGTERM', async () => {
    const env = envFor(standIn, { SOLARPROOF_HTTP_TOKEN: SENTINEL_TOKEN });
    const { child, url } = await startHttpProcess(env);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(url).not.toMatch(/:0\//);
    // stdin closed a while ago; the server is still there.
    await sleep(300);
    expect(child.child.exitCode).toBeNull();
    const client = await httpClient(url, bearer());
    const result = (await client.callTool({
      name: 'update_customer',
      arguments: { pkcustomerid: 79461, phone1: '0411 222 333' },
    })) as CallToolResult;
    expect(structured(result)).toMatchObject({ ok: true, mode: 'live', customerId: 79461 });
    expectNoKey(JSON.stringify(result));
    expectNoKey(JSON.stringify(result), SENTINEL_TOKEN);
    await client.close();
    child.child.kill('SIGTERM');
    const exit = await child.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS);
    expect(exit.code).toBe(0);
    expect(child.stdout()).toBe('');
    expect(readAudit(env.SOLARPROOF_AUDIT_LOG as string).map((r) => r.event)).toEqual([
      'update_requested',
      'update_completed',
    ]);
  });

  it('in sandbox mode serves the simulated Solar Proof, and /healthz says so', async () => {
    const { url } = await startHttpProcess({ SOLARPROOF_AUDIT_LOG: tempAuditPath() }, ['--sandbox']);
    const health = await raw(url, { method: 'GET', path: '/healthz' });
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', version: PACKAGE_VERSION, mode: 'sandbox' });
    const client = await httpClient(url);
    const result = (await client.callTool({
      name: 'get_customer',
      arguments: { email: 'john.smith@example.com' },
    })) as CallToolResult;
    expect(structured(result)).toMatchObject({
      ok: true,
      mode: 'sandbox',
      customer: { pkcustomerid: 79461 },
    });
    await client.close();
  });

  it.each([
    [{ SOLARPROOF_HTTP_HOST: '0.0.0.0' }, [], /SOLARPROOF_HTTP_TOKEN is not set/],
    [{}, ['--host', '0.0.0.0'], /SOLARPROOF_HTTP_HOST is 0\.0\.0\.0/],
    [{ SOLARPROOF_HTTP_TOKEN: 'short' }, [], /shorter than 16/],
    [{ SOLARPROOF_HTTP_PORT: 'eighty' }, [], /SOLARPROOF_HTTP_PORT must be a whole number/],
  ])('refuses to start with %j %j, saying why, and exits 1', async (env, args, message) => {
    const child = spawnServer(
      { PATH: process.env.PATH ?? '', SOLARPROOF_AUDIT_LOG: 'off', ...env },
      { args: ['--http', ...args] },
    );
    children.push(child);
    const exit = await child.exitWithin(10_000);
    expect(exit.code).toBe(1);
    expect(child.stderr()).toMatch(message);
    expect(child.stderr()).not.toMatch(/listening/);
  });

  it.each([['--htp'], ['--http', '--token', 'x'], ['--port', '3000'], ['stray']])(
    'refuses the command line %j with a message on stderr and exit 2',
    async (...args) => {
      const child = spawnServer({ PATH: process.env.PATH ?? '' }, { args });
      children.push(child);
      const exit = await child.exitWithin(10_000);
      expect(exit.code).toBe(2);
      expect(child.stderr()).toMatch(/^solarproof-mcp: .+\n\nUsage: solarproof-mcp/);
      expect(child.stdout()).toBe('');
    },
  );

  it('SIGTERM with updates in flight: no new connections, every update gets its real result and audit outcome, exit 0', async () => {
    standIn.reset();
    // Longer than the close allows after the drain, so only the drain can deliver these answers.
    standIn.setBehaviour(async () => {
      await sleep(CLOSE_MS + 500);
      return false;
    });
    try {
      const env = envFor(standIn);
      const { child, url } = await startHttpProcess(env);
      const headers = { ...MCP_HEADERS, host: new URL(url).host };
      const calls = Array.from({ length: 5 }, (_, i) =>
        raw(url, {
          headers,
          body: rpc(
            'tools/call',
            { name: 'update_customer', arguments: { pkcustomerid: 79461, phone2: phoneOf(i) } },
            i,
          ),
        }),
      );
      await standIn.waitForRequests(5, 10_000);
      const signalledAt = performance.now();
      child.child.kill('SIGTERM');
      const deadline = Date.now() + 5_000;
      while (!child.stderr().includes('shutting down') && Date.now() < deadline) await sleep(10);
      await expect(raw(url, { method: 'GET', path: '/healthz' })).rejects.toThrow(/ECONNREFUSED/);
      for (const response of await Promise.all(calls)) {
        expect(response.status).toBe(200);
        expect(rpcResult(response).result.structuredContent).toMatchObject({ ok: true, customerId: 79461 });
      }
      const exit = await child.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS, signalledAt);
      expect(exit.code).toBe(0);
      const outcomes = readAudit(env.SOLARPROOF_AUDIT_LOG as string).filter(
        (r) => r.event === 'update_completed',
      );
      expect(outcomes.map((r) => r.outcome)).toEqual(Array(5).fill('success'));
      expect(updateRequests(standIn)).toHaveLength(5);
    } finally {
      standIn.setBehaviour(undefined);
    }
  });

  it('two instances, each with its own audit file: calls sent alternately each land once upstream and are audited once, by the instance that made them', async () => {
    standIn.reset();
    const envs = [envFor(standIn), envFor(standIn)];
    const instances = await Promise.all(envs.map((env) => startHttpProcess(env)));
    const clients: Client[] = await Promise.all(instances.map(({ url }) => httpClient(url)));
    try {
      const CALLS = 10;
      const made: Array<{ instance: number; phone: string; requestId: string }> = [];
      for (let i = 0; i < CALLS; i++) {
        const instance = i % 2;
        const phone = phoneOf(100 + i);
        const result = (await clients[instance]!.callTool({
          name: 'update_customer',
          arguments: { pkcustomerid: 80125, phone2: phone },
        })) as CallToolResult;
        expect(structured(result)).toMatchObject({ ok: true });
        made.push({ instance, phone, requestId: structured(result).requestId as string });
      }
      const sent = updateRequests(standIn).map(
        (r) => (r.body as { data: Record<string, unknown> }).data.phone2,
      );
      expect(sent.sort()).toEqual(made.map((m) => m.phone).sort());
      const audits = envs.map((env) => readAudit(env.SOLARPROOF_AUDIT_LOG as string));
      for (const { instance, requestId } of made) {
        const here = audits[instance]!.filter((r) => r.requestId === requestId);
        expect(here.map((r) => r.event)).toEqual(['update_requested', 'update_completed']);
        expect(audits[1 - instance]!.some((r) => r.requestId === requestId)).toBe(false);
      }
      expect(audits.map((records) => records.length)).toEqual([CALLS, CALLS]);
      for (const env of envs) expectNoKey(readAuditText(env.SOLARPROOF_AUDIT_LOG as string));
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      for (const { child } of instances) child.child.kill('SIGTERM');
      await Promise.all(instances.map(({ child }) => child.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS)));
    }
  });
});
