/**
 * A slow disk can land the "requested" record after the wait for it gave up (AUDIT_UNAVAILABLE).
 * Nothing is sent then, and the record must not be left without an outcome: found by the fault
 * soak, where an fdatasync slower than the deadline left two "requested" records unanswered.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditSink } from '../../src/audit/log.js';
import { loadConfig } from '../../src/config.js';
import { ToolError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createServer } from '../../src/server.js';
import { envFor, expectNoKey, startStandIn, structured, updateRequests } from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

/** Keeps every record, but answers the first "requested" one as a disk that did not confirm in time. */
function lateDisk(): AuditSink & { records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  let first = true;
  return {
    records,
    async append(record) {
      records.push(record);
      if (record.event === 'update_requested' && first) {
        first = false;
        throw new ToolError('AUDIT_UNAVAILABLE', 'The audit log did not confirm a write in time.');
      }
    },
    async close() {},
  };
}

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn.close());

describe('an intent record the disk confirms too late', () => {
  it('refuses the update, sends no update, and still records how the call ended', async () => {
    const audit = lateDisk();
    const app = createServer(loadConfig(envFor(standIn), []), { logger: silentLogger, audit });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'late-intent', version: '1.0.0' });
    await Promise.all([app.server.connect(serverSide), client.connect(clientSide)]);
    try {
      const result = (await client.callTool({
        name: 'update_customer',
        arguments: { pkcustomerid: 79461, phone2: '0400 555 666' },
      })) as CallToolResult;
      expectNoKey(JSON.stringify(result));
      expect(structured(result)).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
      expect(updateRequests(standIn)).toHaveLength(0);
      const requestId = structured(result).requestId;
      await expect
        .poll(() => audit.records.filter((r) => r.requestId === requestId).map((r) => [r.event, r.outcome]))
        .toEqual([
          ['update_requested', undefined],
          ['update_completed', 'error'],
        ]);
      expect(audit.records.find((r) => r.event === 'update_completed')).toMatchObject({
        code: 'AUDIT_UNAVAILABLE',
      });
    } finally {
      await client.close();
      await app.close();
    }
  });
});
