/**
 * Issue 7 (item 4): a request over the stdin line limit was dropped and logged, and the client
 * waited until its own timeout. Now the id is read from either end of the dropped line and answered
 * with a JSON-RPC error that names the limit; only a line with no readable id goes unanswered.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../../src/transports/stdin-limit.js';
import { envFor, expectNoKey, startServer, startStandIn } from '../helpers/harness.js';
import { initialize, request } from '../helpers/json-rpc.js';
import { spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';

const FIVE_MIB = 5 * 1024 * 1024;

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn.close());

describe('a request larger than the stdin line limit', () => {
  it('a 5 MiB tools/call from the SDK client fails at once with "too large", not by timing out', async () => {
    standIn.reset();
    const server = await startServer(envFor(standIn));
    try {
      // The SDK client puts the id last, after params: the server must find it at the end.
      const failure = await server
        .call({ pkcustomerid: 79461, companyname: 'x'.repeat(FIVE_MIB) }, { timeout: 15_000 })
        .then(
          (result) => new Error(`answered with a result: ${JSON.stringify(result).slice(0, 300)}`),
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(McpError);
      expect((failure as McpError).code).toBe(-32600);
      expect((failure as McpError).message).toMatch(/too large/i);
      expect((failure as McpError).message).toContain(String(MAX_LINE_BYTES));
      expect((failure as McpError).message).not.toContain('xxxx');
      expect(standIn.requests).toHaveLength(0);
      // The session goes on.
      const next = await server.call({ pkcustomerid: 79461, phone1: '0400 111 222' });
      expect(next.structuredContent).toMatchObject({ ok: true });
      expect(server.stderr()).toMatch(/dropped an oversized line on stdin/);
      expectNoKey(server.stderr());
    } finally {
      await server.close();
    }
  });

  it('answers a string id found at the start of the line, and stays silent when the line has no id', async () => {
    const server = spawnServer(envFor(standIn));
    try {
      server.send(initialize(1));
      await server.response(1);
      const big = 'y'.repeat(FIVE_MIB);
      const params = { name: 'update_customer', arguments: { pkcustomerid: 79461, surname: big } };
      server.send(
        `{"jsonrpc":"2.0","id":"req-\\"7\\"","method":"tools/call","params":${JSON.stringify(params)}}\n`,
      );
      const answered = await server.response('req-"7"', 15_000);
      expect(answered.error.code).toBe(-32600);
      expect(answered.error.message).toMatch(/too large/i);
      expect(JSON.stringify(answered)).not.toContain('yyyy');

      // A notification (no id) over the limit: dropped and logged, nothing written back.
      server.send(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/x', params: { big } })}\n`);
      server.send(request(2, 'ping'));
      await server.response(2, 15_000);
      const ids = server.messages().map((message) => message.id);
      expect(ids).toEqual([1, 'req-"7"', 2]);
      expect(server.stderr().match(/dropped an oversized line on stdin/g)).toHaveLength(2);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
