/**
 * Issue 7 (item 5): a hung audit disk stopped the server from exiting. The audit log here is a FIFO
 * whose pipe buffer the test fills and never reads, so the server's write() really blocks in a
 * libuv worker thread, as it would on a network share that stopped answering. Node's exit joins
 * that thread, so the process used to live on after SIGTERM or stdin closing until SIGKILL.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_GRACE_MS } from '../../src/lifecycle.js';
import { envFor, startStandIn, updateRequests } from '../helpers/harness.js';
import { initialize, updateCall } from '../helpers/json-rpc.js';
import { spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';

const EXIT_MARGIN_MS = 4_000;

let standIn: StandIn;
const heldOpen: number[] = [];
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(async () => {
  for (const fd of heldOpen) closeSync(fd);
  await standIn.close();
});

/**
 * A FIFO with a full pipe buffer that nobody reads: the test keeps it open for reading and writing
 * (so the server's open does not wait for a reader, and no write gets EPIPE) and fills it until the
 * kernel says it would block. The server's next write blocks for as long as the test holds it.
 */
function fullFifo(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'solarproof-fifo-')), 'audit.jsonl');
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  heldOpen.push(fd);
  const block = Buffer.alloc(4096, 0x78);
  let filled = 0;
  for (;;) {
    try {
      filled += writeSync(fd, block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw error;
    }
  }
  expect(filled).toBeGreaterThan(0);
  return path;
}

describe.skipIf(process.platform === 'win32')('an audit log whose writes hang', () => {
  it.each(['SIGTERM', 'stdin closing'] as const)(
    'after AUDIT_UNAVAILABLE, %s still ends the process within the grace',
    async (how) => {
      const server = spawnServer(
        envFor(standIn, { SOLARPROOF_AUDIT_LOG: fullFifo(), SOLARPROOF_TIMEOUT_MS: '1000' }),
      );
      try {
        server.send(initialize(0));
        await server.response(0);
        server.send(updateCall(1, { pkcustomerid: 79461, phone1: '0400 111 222' }));
        const refused = await server.response(1);
        expect(refused.result.structuredContent).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
        // The record is read first; the update itself is never sent.
        expect(updateRequests(standIn)).toHaveLength(0);

        const since = performance.now();
        if (how === 'SIGTERM') server.child.kill('SIGTERM');
        else server.child.stdin.end();
        const exit = await server.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS, since);
        expect(exit.code === 0 || exit.signal === 'SIGTERM', JSON.stringify(exit)).toBe(true);
        expect(server.stderr()).toMatch(/shutting down/);
      } finally {
        server.child.kill('SIGKILL');
      }
    },
  );

  it('an update waiting on the hung write is cancelled at the end of the grace, and the process exits', async () => {
    standIn.reset();
    const server = spawnServer(
      envFor(standIn, { SOLARPROOF_AUDIT_LOG: fullFifo(), SOLARPROOF_TIMEOUT_MS: '120000' }),
    );
    try {
      server.send(initialize(0));
      await server.response(0);
      server.send(updateCall(1, { pkcustomerid: 79461, phone1: '0400 111 222' }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const since = performance.now();
      server.child.kill('SIGTERM');
      await server.exitWithin(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS, since);
      const cancelled = await server.response(1, 0);
      expect(cancelled.result.structuredContent).toMatchObject({ ok: false, code: 'CANCELLED' });
      expect(updateRequests(standIn)).toHaveLength(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
