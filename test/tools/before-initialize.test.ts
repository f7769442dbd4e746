/**
 * The refusal of requests before initialize is an option of createServer (issue 7, item 7): on by
 * default, off for a transport that serves each request alone. Raw JSON-RPC over the SDK's
 * in-memory transport, since the SDK Client always initializes first.
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createServer } from '../../src/server.js';
import { SENTINEL_KEY, startStandIn } from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn.close());

async function rawSession(requireInitialize?: boolean) {
  const config = loadConfig(
    { SOLARPROOF_API_KEY: SENTINEL_KEY, SOLARPROOF_BASE_URL: standIn.url, SOLARPROOF_AUDIT_LOG: 'off' },
    [],
  );
  const app = createServer(config, {
    logger: silentLogger,
    ...(requireInitialize === undefined ? {} : { requireInitialize }),
  });
  const [ours, theirs] = InMemoryTransport.createLinkedPair();
  const received: JSONRPCMessage[] = [];
  ours.onmessage = (message) => received.push(message);
  await ours.start();
  await app.server.connect(theirs);
  const ask = async (id: number, method: string, params?: Record<string, unknown>) => {
    await ours.send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    for (let i = 0; i < 500; i++) {
      const found = received.find((message) => 'id' in message && message.id === id);
      if (found) return found as Record<string, any>;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no answer to ${id}`);
  };
  return { ask, close: () => app.close() };
}

const call = { name: 'update_customer', arguments: { pkcustomerid: 79461, phone1: '0400 111 222' } };

describe('createServer requireInitialize', () => {
  it('by default refuses tools/call before initialize and sends nothing upstream', async () => {
    standIn.reset();
    const session = await rawSession();
    try {
      const answer = await session.ask(1, 'tools/call', call);
      expect(answer.error).toMatchObject({ code: -32600 });
      expect(standIn.requests).toHaveLength(0);
    } finally {
      await session.close();
    }
  });

  it('when off, serves a request that stands alone', async () => {
    standIn.reset();
    const session = await rawSession(false);
    try {
      const answer = await session.ask(1, 'tools/call', call);
      expect(answer.result.structuredContent).toMatchObject({ ok: true, customerId: 79461 });
      // Read, update, read back.
      expect(standIn.requests.map((r) => r.query.action)).toEqual([
        'getcustomerByemail',
        'updatecustomer',
        'getcustomerByemail',
      ]);
    } finally {
      await session.close();
    }
  });
});
