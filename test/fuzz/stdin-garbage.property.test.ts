/**
 * Property-based: generated garbage on the server's stdin (random bytes, partial JSON, JSON that
 * is not JSON-RPC, JSON-RPC with wrong types, ~1 MB lines), interleaved with valid tools/list and
 * tools/call requests, against the raw process (no SDK Client, which would hide a stray line).
 *
 * Property: every valid request gets exactly one answer, every stdout line is a JSON-RPC 2.0
 * message, the process is alive at the end and the key is nowhere.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, expectNoKey, SENTINEL_KEY, startStandIn } from '../helpers/harness.js';
import { spawnServer } from '../helpers/spawn.js';
import type { StandIn } from '../helpers/stand-in.js';
import { fastTempDir, preview, readJsonLines, resultProblems } from './support.js';

const PROCESSES = 8;
const MB = 1024 * 1024;

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(() => standIn?.close());

// ---------------------------------------------------------------------------------------------
// Generators. Garbage never uses a positive integer id: those belong to the valid requests, and a
// garbage "notifications/cancelled" naming one would legitimately cancel it.
// ---------------------------------------------------------------------------------------------

const garbageId = fc.oneof(
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.string({ maxLength: 6 }).map((s) => `g-${s}`),
  fc.constantFrom<unknown>(null, 1.5, -0.5, true, {}, [], '', 0),
);
const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(null, 'x', [], {}, 5, { name: 5 }, { name: 'update_customer', arguments: 'x' }),
);
const method = fc.constantFrom<unknown>(
  'tools/call',
  'tools/list',
  'initialize',
  'ping',
  'resources/list',
  'prompts/get',
  'notifications/cancelled',
  'notifications/initialized',
  'notifications/progress',
  '',
  'TOOLS/LIST',
  'tools/call ',
  5,
  null,
);
const wrongRpc = fc
  .record(
    {
      jsonrpc: fc.constantFrom<unknown>('2.0', '2.0', '1.0', 2, null, ''),
      id: garbageId,
      method,
      params: fc.oneof(
        junkValue,
        fc.record({
          name: fc.constantFrom<unknown>('update_customer', 'get_customer', 'nope', 5, null),
          arguments: fc.oneof(
            junkValue,
            fc.constant({ pkcustomerid: 79461, phone2: '0298765432', dryRun: true }),
            fc.constant({ pkcustomerid: '79461', phone2: 5 }),
          ),
        }),
        garbageId.map((requestId) => ({ requestId, reason: 'garbage' })),
      ),
      result: junkValue,
      error: fc.oneof(junkValue, fc.constant({ code: -32600, message: 'x' })),
    },
    { requiredKeys: ['jsonrpc'] },
  )
  .map((m) => JSON.stringify(m));

const huge = fc.constantFrom(
  () => 'x'.repeat(MB),
  () => `{"jsonrpc":"2.0","method":"notifications/message","params":{"pad":"${'a'.repeat(MB)}"}}`,
  () =>
    `{"jsonrpc":"2.0","id":"g-huge","method":"tools/call","params":{"name":"update_customer","arguments":{"pkcustomerid":79461,"firstname":"${'J'.repeat(MB)}"}}}`,
  () => `${'['.repeat(MB / 4)}${']'.repeat(MB / 4)}`,
  () =>
    `{"jsonrpc":"2.0","id":"g-deep","method":"ping","params":{"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`,
);

interface Chunk {
  kind: string;
  bytes: Buffer;
}

const garbage: fc.Arbitrary<Chunk> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) => ({ kind: 'bytes', bytes: Buffer.from(b) })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          wrongRpc.map((t) => JSON.parse(t) as unknown),
        ),
        fc.nat(),
      )
      .map(([value, cut]) => {
        const text = JSON.stringify(value);
        return { kind: 'partial-json', bytes: Buffer.from(text.slice(0, Math.max(1, cut % text.length))) };
      }),
  },
  {
    weight: 3,
    arbitrary: fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => ({ kind: 'json-not-rpc', bytes: Buffer.from(JSON.stringify(v)) })),
  },
  { weight: 5, arbitrary: wrongRpc.map((text) => ({ kind: 'rpc-wrong-types', bytes: Buffer.from(text) })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '',
        ' ',
        '\r',
        '\t\t',
        '\uFEFF{"jsonrpc":"2.0","id":"g-bom","method":"ping"}',
        '[{"jsonrpc":"2.0","id":"g-batch","method":"ping"}]',
        '{"jsonrpc":"2.0","id":"g-dup","id":"g-dup2","method":"ping"}',
        'null',
        '"\\ud800"',
        `{"jsonrpc":"2.0","id":"g-key","method":"tools/call","params":{"name":"update_customer","arguments":{"pkcustomerid":79461,"apikey":"${SENTINEL_KEY}"}}}`,
      )
      .map((text) => ({ kind: 'odd-line', bytes: Buffer.from(text) })),
  },
  { weight: 1, arbitrary: huge.map((make) => ({ kind: 'huge-line', bytes: Buffer.from(make()) })) },
);

type Valid = 'tools/list' | 'update-dry' | 'update' | 'get' | 'invalid-args' | 'ping';
const valid = fc.constantFrom<Valid>('tools/list', 'update-dry', 'update', 'get', 'invalid-args', 'ping');

/** A plan: garbage chunks, each followed (or not) by a valid request. */
const plan = fc.array(
  fc.tuple(fc.array(garbage, { minLength: 1, maxLength: 3 }), fc.option(valid, { freq: 3, nil: undefined })),
  {
    minLength: 15,
    maxLength: 30,
  },
);

// ---------------------------------------------------------------------------------------------
// A raw server process
// ---------------------------------------------------------------------------------------------

class RawServer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  readonly byId = new Map<unknown, Array<Record<string, any>>>();
  stderr = '';
  #pending = '';
  #waiters = new Set<() => void>();

  constructor(env: Record<string, string>) {
    this.child = spawnServer(env).child;
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.#pending += chunk.toString('utf8');
      let newline = this.#pending.indexOf('\n');
      while (newline !== -1) {
        const line = this.#pending.slice(0, newline);
        this.#pending = this.#pending.slice(newline + 1);
        this.lines.push(line);
        try {
          const message = JSON.parse(line) as Record<string, any>;
          if ('id' in message) {
            const key = JSON.stringify(message.id);
            this.byId.set(key, [...(this.byId.get(key) ?? []), message]);
          }
        } catch {
          // Checked (and reported) at the end.
        }
        newline = this.#pending.indexOf('\n');
      }
      for (const wake of this.#waiters) wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.child.stdin.on('error', () => {}); // an EPIPE here shows up as a missing answer
  }

  /** Leftover bytes after the last newline: must be none at the end. */
  get partialLine(): string {
    return this.#pending;
  }

  async write(bytes: Buffer | string): Promise<void> {
    if (!this.child.stdin.write(bytes)) await once(this.child.stdin, 'drain');
  }

  async request(id: number, methodName: string, params?: unknown): Promise<void> {
    await this.write(
      `${JSON.stringify({ jsonrpc: '2.0', id, method: methodName, ...(params === undefined ? {} : { params }) })}\n`,
    );
  }

  async waitFor(ids: number[], timeoutMs: number): Promise<void> {
    const done = () => ids.every((id) => this.byId.has(JSON.stringify(id)));
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const missing = ids.filter((id) => !this.byId.has(JSON.stringify(id)));
        reject(
          new Error(
            `no answer to ${missing.join(', ')}; exit=${this.child.exitCode}; stderr tail: ${this.stderr.slice(-1500)}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }
}

const validParams: Record<Exclude<Valid, 'tools/list' | 'ping'>, (id: number) => unknown> = {
  'update-dry': (id) => ({
    name: 'update_customer',
    arguments: { pkcustomerid: 79461, phone2: `02 ${id}`, dryRun: true },
  }),
  update: (id) => ({ name: 'update_customer', arguments: { pkcustomerid: 80125, phone2: `02 ${id}` } }),
  get: () => ({ name: 'get_customer', arguments: { email: 'mei.chen@example.net' } }),
  'invalid-args': () => ({ name: 'update_customer', arguments: { pkcustomerid: -1, firstname: '\u0000' } }),
};

describe('garbage on stdin', () => {
  it(`${PROCESSES} processes, each fed a few dozen generated garbage chunks between valid requests`, async () => {
    let chunks = 0;
    let answered = 0;
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(plan, async (steps) => {
        standIn.reset();
        const auditPath = join(fastTempDir('solarproof-fuzz-stdin-'), 'audit.jsonl');
        const server = new RawServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: auditPath }));
        try {
          await server.request(1, 'initialize', {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'garbage-fuzz', version: '1' },
          });
          await server.waitFor([1], 10_000);
          await server.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);

          const expected = new Map<number, Valid>();
          let nextId = 1_000;
          for (const [junk, request] of steps) {
            for (const chunk of junk) {
              chunks++;
              kinds.set(chunk.kind, (kinds.get(chunk.kind) ?? 0) + 1);
              // Each chunk ends its line, so it cannot swallow the valid request that follows.
              await server.write(Buffer.concat([chunk.bytes, Buffer.from('\n')]));
            }
            if (request === undefined) continue;
            const id = nextId++;
            expected.set(id, request);
            if (request === 'tools/list' || request === 'ping') await server.request(id, request);
            else await server.request(id, 'tools/call', validParams[request](id));
          }
          await server.waitFor([...expected.keys()], 20_000);
          // The server is still alive and still answers.
          await server.request(nextId, 'tools/list');
          await server.waitFor([nextId], 10_000);
          expect(server.child.exitCode).toBeNull();

          // Exactly one answer per valid request, of the right kind.
          for (const [id, request] of expected) {
            const answers = server.byId.get(JSON.stringify(id)) ?? [];
            expect(answers, `answers to ${id}`).toHaveLength(1);
            const answer = answers[0] as Record<string, any>;
            expect(answer.error, `${request} ${id}: ${preview(answer)}`).toBeUndefined();
            if (request === 'tools/list') {
              expect(answer.result.tools.map((t: { name: string }) => t.name).sort()).toEqual([
                'find_customers',
                'get_customer',
                'list_updates',
                'undo_update',
                'update_customer',
              ]);
            } else if (request !== 'ping') {
              const result = answer.result as CallToolResult;
              expect(resultProblems(result), `${request} ${id}`).toEqual([]);
              const data = result.structuredContent as Record<string, unknown>;
              if (request === 'invalid-args') expect(data.code).toBe('INVALID_ARGUMENTS');
              else expect(data.ok, `${request} ${id}: ${preview(data)}`).toBe(true);
            }
            answered++;
          }

          // Only JSON-RPC 2.0 on stdout, every line complete.
          expect(server.partialLine).toBe('');
          for (const line of server.lines) {
            let message: unknown;
            try {
              message = JSON.parse(line);
            } catch {
              throw new Error(`stdout line is not JSON: ${preview(line)}`);
            }
            expect((message as { jsonrpc?: unknown }).jsonrpc, preview(line)).toBe('2.0');
          }
          expectNoKey(server.lines.join('\n'));
          expectNoKey(server.stderr);
          const audit = readJsonLines(auditPath);
          expectNoKey(JSON.stringify(audit));

          // And it stops cleanly when its client goes away.
          server.child.stdin.end();
          const [code] = (await once(server.child, 'exit')) as [number | null];
          expect(code).toBe(0);
        } finally {
          if (server.child.exitCode === null) server.child.kill('SIGKILL');
        }
      }),
      { numRuns: PROCESSES },
    );
    console.info(
      `${chunks} garbage chunks (${JSON.stringify(Object.fromEntries(kinds))}), ${answered} valid requests answered`,
    );
    expect(chunks).toBeGreaterThan(150);
  }, 120_000);
});
