/**
 * The audit log's own guarantees, in-process: a file left with a torn last line (a crash, a full
 * disk) never swallows the next record; a cancelled call stops waiting; records are whole lines;
 * and when only the outcome record cannot be written, the update still reports success, with a
 * warning (through the real MCP Client, in-process, against the stand-in).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditSink } from '../../src/audit/log.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import { createServer } from '../../src/server.js';
import { tempDir } from '../helpers/audit.js';
import { SENTINEL_KEY, startStandIn } from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

const redact = createRedactor([SENTINEL_KEY]);

describe('AuditLog', () => {
  it('starts on a fresh line when the file ends in a torn fragment', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    writeFileSync(path, '{"event":"whole"}\n{"event":"tor');
    const log = new AuditLog(path, redact);
    await log.append({ event: 'next' });
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe('{"event":"whole"}\n{"event":"tor\n{"event":"next"}\n');
  });

  it('writes whole lines, redacted, in order, for concurrent appends', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = new AuditLog(path, redact);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ i, note: `key ${SENTINEL_KEY}` })));
    await log.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(lines.every((line) => line.includes('[REDACTED]') && !line.includes('LEAKCHECK'))).toBe(true);
  });

  it('a cancelled call stops waiting with CANCELLED', async () => {
    const log = new AuditLog(join(tempDir(), 'audit.jsonl'), redact);
    const controller = new AbortController();
    controller.abort();
    await expect(log.append({ event: 'x' }, { signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    await log.close();
  });

  it('refuses appends after close instead of reopening the file', async () => {
    const log = new AuditLog(join(tempDir(), 'audit.jsonl'), redact);
    await log.close();
    await expect(log.append({ event: 'late' })).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
  });
});

describe('an outcome record that cannot be written', () => {
  let standIn: StandIn;
  beforeAll(async () => {
    standIn = await startStandIn();
  });
  afterAll(() => standIn.close());

  it('leaves the done update reported as done, with a warning', async () => {
    const records: Array<Record<string, unknown>> = [];
    // Accepts the "requested" record, then fails like a disk that just filled up.
    const audit: AuditSink = {
      append: async (record) => {
        if (record.event === 'update_completed') throw new Error('ENOSPC: no space left on device');
        records.push(record);
      },
      close: async () => {},
    };
    const config = loadConfig({ SOLARPROOF_API_KEY: SENTINEL_KEY, SOLARPROOF_BASE_URL: standIn.url }, []);
    const app = createServer(config, { logger: silentLogger, audit });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await app.server.connect(serverSide);
    const client = new Client({ name: 'audit-warning-test', version: '1' });
    await client.connect(clientSide);
    try {
      await client.listTools();
      const result = await client.callTool({
        name: 'update_customer',
        arguments: { pkcustomerid: 79461, phone1: '0400 123 123' },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        ok: true,
        customerId: 79461,
        warnings: [expect.stringContaining('could not be written to the audit log')],
      });
      expect(records).toHaveLength(1);
      // Read, update, read back: the update went out once.
      expect(standIn.requests.map((r) => r.query.action)).toEqual([
        'getcustomerByemail',
        'updatecustomer',
        'getcustomerByemail',
      ]);
    } finally {
      await client.close();
      await app.close();
    }
  });
});
