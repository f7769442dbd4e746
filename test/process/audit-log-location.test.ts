/**
 * Where the audit log goes, decided at start-up from the environment and said in the start-up log
 * line: the built server as a process, with an exact environment and working folder.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listTree, readAudit, tempDir } from '../helpers/audit.js';
import {
  envFor,
  expectNoKey,
  SENTINEL_KEY,
  startExactServer,
  startServer,
  startStandIn,
  structured,
  updateRequests,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterEach(() => standIn.reset());
afterAll(() => standIn.close());

describe('where the audit log goes', () => {
  it.each(['off', 'OFF'])(
    'SOLARPROOF_AUDIT_LOG=%s: updates work and no file is created anywhere',
    async (off) => {
      const state = tempDir('solarproof-state-');
      const home = tempDir('solarproof-home-');
      const unaudited = await startServer(
        envFor(standIn, { SOLARPROOF_AUDIT_LOG: off, XDG_STATE_HOME: state, HOME: home }),
      );
      try {
        const result = await unaudited.call({ pkcustomerid: 79461, phone1: '0400999888' });
        expect(structured(result)).toMatchObject({ ok: true, customerId: 79461 });
        const dry = await unaudited.call({ pkcustomerid: 79461, phone1: '0400999888', dryRun: true });
        expect(structured(dry)).toMatchObject({ ok: true, dryRun: true });
        expect(updateRequests(standIn)).toHaveLength(1);
        expect(listTree(state)).toEqual([]);
        expect(listTree(home)).toEqual([]);
        expect(unaudited.stderr()).toMatch(/"auditLog":"off"/);
      } finally {
        await unaudited.close();
      }
    },
  );

  it('unset: defaults to $XDG_STATE_HOME/solarproof-mcp/audit.jsonl, mode 0600', async () => {
    const state = tempDir('solarproof-state-');
    const home = tempDir('solarproof-home-');
    const defaulted = await startExactServer({
      SOLARPROOF_API_KEY: SENTINEL_KEY,
      SOLARPROOF_BASE_URL: standIn.url,
      XDG_STATE_HOME: state,
      HOME: home,
    });
    try {
      const result = await defaulted.callTool('update_customer', {
        pkcustomerid: 79461,
        phone1: '0400999888',
      });
      expect(structured(result)).toMatchObject({ ok: true });
      const path = join(state, 'solarproof-mcp', 'audit.jsonl');
      expect(listTree(state).sort()).toEqual(['solarproof-mcp', join('solarproof-mcp', 'audit.jsonl')]);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(state, 'solarproof-mcp')).mode & 0o777).toBe(0o700);
      const records = readAudit(path);
      expect(records.map((r) => r.event)).toEqual(['update_requested', 'update_completed']);
      expect(records[0]?.requestId).toBe(structured(result).requestId);
      expect(listTree(home)).toEqual([]);
      // The start-up log says where the records go.
      expect(defaulted.stderr()).toContain(JSON.stringify(path).slice(1, -1));
      expectNoKey(readFileSync(path, 'utf8'));
      expectNoKey(defaulted.stderr());
    } finally {
      await defaulted.close();
    }
  });

  it('unset, in sandbox mode: a file of its own, sandbox-audit.jsonl, which list_updates reads', async () => {
    const state = tempDir('solarproof-state-');
    const home = tempDir('solarproof-home-');
    const sandbox = await startExactServer({ XDG_STATE_HOME: state, HOME: home }, { args: ['--sandbox'] });
    try {
      const result = await sandbox.callTool('update_customer', { pkcustomerid: 79461, phone1: '0400999888' });
      expect(structured(result)).toMatchObject({ ok: true, mode: 'sandbox' });
      const path = join(state, 'solarproof-mcp', 'sandbox-audit.jsonl');
      expect(listTree(state).sort()).toEqual([
        'solarproof-mcp',
        join('solarproof-mcp', 'sandbox-audit.jsonl'),
      ]);
      expect(readAudit(path).map((r) => r.mode)).toEqual(['sandbox', 'sandbox']);
      const listed = structured(await sandbox.callTool('list_updates', {}));
      expect(listed.updates).toEqual([expect.objectContaining({ requestId: structured(result).requestId })]);
    } finally {
      await sandbox.close();
    }
  });

  it('unset, with a relative XDG_STATE_HOME (invalid per the spec): falls back to ~/.local/state', async () => {
    const home = tempDir('solarproof-home-');
    const cwd = tempDir('solarproof-cwd-');
    const defaulted = await startExactServer(
      {
        SOLARPROOF_API_KEY: SENTINEL_KEY,
        SOLARPROOF_BASE_URL: standIn.url,
        XDG_STATE_HOME: 'relative/state',
        HOME: home,
      },
      { cwd },
    );
    try {
      const result = await defaulted.callTool('update_customer', {
        pkcustomerid: 79461,
        phone1: '0400999888',
      });
      expect(structured(result)).toMatchObject({ ok: true });
      const path = join(home, '.local', 'state', 'solarproof-mcp', 'audit.jsonl');
      expect(readAudit(path)).toHaveLength(2);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(listTree(cwd)).toEqual([]);
    } finally {
      await defaulted.close();
    }
  });
});
