/**
 * The server as a process: what it writes to stdout and stderr, how it survives bad input, and how
 * it stops. These speak raw JSON-RPC over the pipes, because the SDK Client would hide a stray line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, expectNoKey, startStandIn } from '../helpers/harness.js';
import { initialize, initialized, request } from '../helpers/json-rpc.js';
import { spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn.close());

/** Every stdout line must be a JSON-RPC 2.0 message: nothing else may reach the protocol stream. */
function expectOnlyJsonRpc(stdout: string): void {
  const lines = stdout.split('\n').filter((line) => line.length > 0);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    const message = JSON.parse(line);
    expect(message.jsonrpc, line).toBe('2.0');
  }
}

describe('the server process', () => {
  it('keeps answering after garbage on stdin, with only JSON-RPC on stdout and no key anywhere', async () => {
    const server = spawnServer(envFor(standIn));
    try {
      server.send(initialize(1));
      await server.response(1);
      server.send(initialized);
      server.send('this is not json\n');
      server.send('{"jsonrpc": "2.0", "id": 99, "method": \n');
      server.send('{"hello": "valid JSON, not JSON-RPC"}\n');
      server.send('[1, 2, 3]\n');
      server.send(Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x0a]));
      server.send(`${'x'.repeat(200_000)}\n`);
      server.send(request(2, 'tools/list'));
      const list = await server.response(2);
      expect(list.result.tools.map((t: { name: string }) => t.name)).toContain('update_customer');

      server.send(
        request(3, 'tools/call', {
          name: 'update_customer',
          arguments: { pkcustomerid: 79461, phone1: '0411 222 333' },
        }),
      );
      const call = await server.response(3);
      expect(call.result.structuredContent).toMatchObject({ ok: true, customerId: 79461 });

      server.send(request(4, 'tools/call', { name: 'no_such_tool', arguments: {} }));
      const unknown = await server.response(4);
      expect(unknown.error?.message ?? JSON.stringify(unknown.result)).toMatch(/no_such_tool/);

      expectOnlyJsonRpc(server.stdout());
      expect(server.stderr()).toMatch(/malformed input/);
      expectNoKey(server.stdout());
      expectNoKey(server.stderr());
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('survives a stdin line larger than the SDK buffer (11 MB): drops it, logs it, keeps answering', async () => {
    const server = spawnServer(envFor(standIn));
    try {
      server.send(initialize(1));
      await server.response(1);
      server.send(initialized);
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      for (let i = 0; i < 11; i++) server.send(chunk);
      server.send('\n');
      server.send(request(2, 'tools/list'));
      const list = await server.response(2, 10_000);
      expect(list.result.tools).toHaveLength(5);
      expect(server.child.exitCode).toBeNull();
      expect(server.stderr()).toMatch(/dropped an oversized line on stdin/);
      expectOnlyJsonRpc(server.stdout());
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('exits cleanly and promptly when its client closes stdin', async () => {
    const server = spawnServer(envFor(standIn));
    server.send(initialize(1));
    await server.response(1);
    const closedAt = performance.now();
    server.child.stdin.end();
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(performance.now() - closedAt).toBeLessThan(3_000);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits cleanly on %s', async (signal) => {
    const server = spawnServer(envFor(standIn));
    server.send(initialize(1));
    await server.response(1);
    server.child.kill(signal);
    const [code] = await server.exited;
    expect(code).toBe(0);
  });

  it('logs to stderr at the chosen level', async () => {
    const quiet = spawnServer(envFor(standIn, { SOLARPROOF_LOG_LEVEL: 'error' }));
    quiet.send(initialize(1));
    await quiet.response(1);
    quiet.child.stdin.end();
    await quiet.exited;
    expect(quiet.stderr()).toBe('');

    const chatty = spawnServer(envFor(standIn, { SOLARPROOF_LOG_LEVEL: 'debug' }));
    chatty.send(initialize(1));
    await chatty.response(1);
    chatty.send(
      request(2, 'tools/call', {
        name: 'update_customer',
        arguments: { pkcustomerid: 79461, surname: 'Smith' },
      }),
    );
    await chatty.response(2);
    chatty.child.stdin.end();
    await chatty.exited;
    const lines = chatty
      .stderr()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.level)).toContain('debug');
    // The request URL is logged with the key's value replaced.
    expect(lines.some((l) => String(l.url).includes('api_key=%5BREDACTED%5D'))).toBe(true);
    expectNoKey(chatty.stderr());
  });
});
