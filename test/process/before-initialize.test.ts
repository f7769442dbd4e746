/**
 * Issue 7 (item 7, first part): over stdio a tools/call sent before initialize was executed and
 * reached Solar Proof. The lifecycle says a client sends nothing but pings until the server has
 * answered initialize, so the server refuses everything else until then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, startStandIn, updateRequests } from '../helpers/harness.js';
import { initialize, request, updateCall } from '../helpers/json-rpc.js';
import { spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn.close());

describe('requests before initialize (stdio)', () => {
  it('refuses tools/call and tools/list with a JSON-RPC error, answers ping, and serves once initialized', async () => {
    standIn.reset();
    const server = spawnServer(envFor(standIn));
    try {
      server.send(updateCall(1, { pkcustomerid: 79461, phone1: '0400 111 222' }));
      server.send(request(2, 'tools/list'));
      server.send(request(3, 'ping'));
      const call = await server.response(1);
      const list = await server.response(2);
      const ping = await server.response(3);
      expect(call.result).toBeUndefined();
      expect(call.error.code).toBe(-32600);
      expect(call.error.message).toMatch(/before initialize/i);
      expect(list.error.message).toMatch(/before initialize/i);
      expect(ping).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
      expect(standIn.requests).toHaveLength(0);

      server.send(initialize(4));
      await server.response(4);
      server.send(updateCall(5, { pkcustomerid: 79461, phone1: '0400 111 333' }));
      const served = await server.response(5);
      expect(served.result.structuredContent).toMatchObject({ ok: true, customerId: 79461 });
      expect(updateRequests(standIn)).toHaveLength(1);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
