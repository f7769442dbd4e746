/**
 * Test harness: the stand-in Solar Proof (test/helpers/stand-in.ts, on 127.0.0.1, port 0) and the real
 * server driven by the SDK's own Client, either in this process (`createServer` over a linked pair
 * of in-memory transports: fast, with coverage and stack traces) or as the built process over stdio
 * (test/helpers/spawn.ts), with one interface for both.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import { createServer } from '../../src/server.js';
import { ChildTransport, spawnServer } from './spawn.js';
import {
  type Behaviour,
  type RecordedRequest,
  SENTINEL_KEY,
  type StandIn,
  send,
  startStandIn,
} from './stand-in.js';

export { SERVER_ENTRY } from './spawn.js';
export { SENTINEL_KEY, startStandIn };

/** Every form the key could take if it leaked: raw, URL-encoded two ways, JSON-escaped. */
export function keyForms(key = SENTINEL_KEY): string[] {
  return [key, encodeURIComponent(key), new URLSearchParams({ k: key }).toString().slice(2), 'LEAKCHECK'];
}

export function expectNoKey(text: string, key = SENTINEL_KEY): void {
  for (const form of keyForms(key)) {
    if (text.includes(form))
      throw new Error(`API key leaked (${JSON.stringify(form)}) in: ${text.slice(0, 500)}`);
  }
}

export interface ServerProcess {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Every tool result received, serialised, for the leak check. */
  results: string[];
  call(
    args: Record<string, unknown>,
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<CallToolResult>;
  callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** The process id; null for the server in this process. */
  pid: number | null;
  close(): Promise<void>;
}

/** Spawns the built server with exactly the given environment (plus PATH), connected through the SDK Client. */
export async function startServer(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  // Only what the test gives (plus PATH and a private audit log): no developer setting leaks in.
  return connectToProcess(
    { PATH: process.env.PATH ?? '', SOLARPROOF_AUDIT_LOG: tempAuditPath(), ...env },
    { args },
  );
}

/**
 * Spawns the built server with exactly `env` (nothing added, not even PATH), connected through the
 * SDK Client, for tests of where a default lands. Runs in `cwd` (default: a fresh temporary folder,
 * so a relative path can never land in the repository).
 */
export function startExactServer(
  env: Record<string, string>,
  options: { args?: readonly string[]; cwd?: string } = {},
): Promise<ServerProcess> {
  return connectToProcess(env, {
    ...options,
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'solarproof-cwd-')),
  });
}

async function connectToProcess(
  env: Record<string, string>,
  options: { args?: readonly string[]; cwd?: string } = {},
): Promise<ServerProcess> {
  const child = spawnServer(env, options);
  const client = await connected(new ChildTransport(child));
  return {
    ...driving(client),
    stderr: child.stderr,
    pid: child.child.pid ?? null,
    close: () => client.close(),
  };
}

/**
 * The server in this process, built by `createServer` from `loadConfig(env, args)` as src/index.ts
 * builds it, with the same environment `startServer` gives the process. Its log lines are kept as
 * the process's stderr would be. Every message crosses as JSON, as on stdio, so the server sees
 * exactly what a process would (no undefined, NaN or shared objects). Sandbox mode starts in
 * src/index.ts, so it is tested through the process.
 */
export async function startInProcessServer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServerProcess> {
  const config = loadConfig(
    { PATH: process.env.PATH ?? '', SOLARPROOF_AUDIT_LOG: tempAuditPath(), ...env },
    args,
  );
  if (config.sandbox) throw new Error('sandbox mode starts in src/index.ts: test it with startServer');
  let stderr = '';
  const redact = createRedactor([config.apiKey]);
  const logger = createLogger(config.logLevel, redact, {
    write(line: string) {
      stderr += line;
    },
  });
  const app = createServer(config, { logger, redact, mode: 'live' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await app.server.connect(asOnTheWire(serverSide));
  const client = await connected(asOnTheWire(clientSide));
  return {
    ...driving(client),
    stderr: () => stderr,
    pid: null,
    async close() {
      await client.close();
      await app.close();
    },
  };
}

/** Each message serialised and parsed as the stdio transports do, minus the pipe. */
function asOnTheWire<T extends Transport>(transport: T): T {
  const sendRaw = transport.send.bind(transport);
  transport.send = (message, options) => sendRaw(deserializeMessage(serializeMessage(message)), options);
  return transport;
}

async function connected(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'solarproof-mcp-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** What both kinds of server share: the client, and calls whose results are kept for the leak check. */
function driving(client: Client): Pick<ServerProcess, 'client' | 'results' | 'call' | 'callTool'> {
  const results: string[] = [];
  const callTool = async (
    name: string,
    toolArgs: Record<string, unknown>,
    options?: { signal?: AbortSignal; timeout?: number },
  ) => {
    const result = (await client.callTool(
      { name, arguments: toolArgs },
      undefined,
      options,
    )) as CallToolResult;
    results.push(JSON.stringify(result));
    return result;
  };
  return {
    client,
    results,
    call: (toolArgs, options) => callTool('update_customer', toolArgs, options),
    callTool: (name, toolArgs) => callTool(name, toolArgs),
  };
}

/** A fresh audit log path in a private temporary folder. */
export function tempAuditPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'solarproof-audit-')), 'audit.jsonl');
}

/** The environment that points the server at a stand-in, with its own audit log. */
export function envFor(standIn: StandIn, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SOLARPROOF_API_KEY: SENTINEL_KEY,
    SOLARPROOF_BASE_URL: standIn.url,
    SOLARPROOF_LOG_LEVEL: 'debug',
    SOLARPROOF_AUDIT_LOG: tempAuditPath(),
    ...extra,
  };
}

export function structured(result: CallToolResult): Record<string, unknown> {
  return result.structuredContent as Record<string, unknown>;
}

/** The text block, minus its first (summary) line, parsed: it must carry the same data. */
export function textData(result: CallToolResult): unknown {
  const block = result.content[0];
  if (block?.type !== 'text') throw new Error('first content block is not text');
  return JSON.parse(block.text.slice(block.text.indexOf('\n') + 1));
}

/** The `data` object of the n-th update request the stand-in received (reads have no body). */
export function sentData(standIn: StandIn, index = 0): Record<string, unknown> {
  const request = updateRequests(standIn)[index];
  if (!request) throw new Error(`the stand-in received no update request #${index}`);
  return (request.body as { data: Record<string, unknown> }).data;
}

/** The Update Customer requests the stand-in received, in order. */
export function updateRequests(standIn: StandIn): RecordedRequest[] {
  return standIn.requests.filter((request) => request.query.action === 'updatecustomer');
}

/**
 * What the stand-in was asked, in order, one short line each: "update", "read 79461" (by id, the
 * documented form), "read getcustomer 79461" (the older form), "read john@example.com" (by email).
 */
export function requestsSeen(standIn: StandIn): string[] {
  return standIn.requests.map(({ query }) => {
    if (query.action === 'updatecustomer') return 'update';
    if (query.action === 'getcustomerByemail') return `read ${query.customer_email}`;
    if (query.action === 'getcustomer') return `read getcustomer ${query.customer_id}`;
    return query.action ?? '(no action)';
  });
}

/**
 * A stand-in behaviour (for setBehaviour) that lets `behaviour` answer the next `times` Update
 * Customer requests, and the contract answer everything else (the reads before and after).
 */
export function onUpdates(behaviour: Behaviour, times = Number.POSITIVE_INFINITY): Behaviour {
  let left = times;
  return (req, res, recorded) => {
    if (left <= 0 || recorded.query.action !== 'updatecustomer') return false;
    left--;
    return behaviour(req, res, recorded);
  };
}

/** A stand-in behaviour that answers once with this status and JSON body. */
export function answer(status: number, body: unknown, headers: Record<string, string> = {}): Behaviour {
  return (_req, res) => {
    send(res, status, body, headers);
    return true;
  };
}

/**
 * One stand-in and one server process shared by a whole test file: started before the first test,
 * the stand-in reset after each, both closed at the end, when the key sentinel checks every result
 * and the server's stderr. `ready` hands them to the file's own variables.
 */
export function useStandInAndServer(
  env: Record<string, string>,
  ready: (standIn: StandIn, server: ServerProcess) => void,
): void {
  shareStandInAndServer(startServer, env, ready);
}

/** As useStandInAndServer, with the server in this process. */
export function useStandInAndInProcessServer(
  env: Record<string, string>,
  ready: (standIn: StandIn, server: ServerProcess) => void,
): void {
  shareStandInAndServer(startInProcessServer, env, ready);
}

function shareStandInAndServer(
  start: (env: Record<string, string>) => Promise<ServerProcess>,
  env: Record<string, string>,
  ready: (standIn: StandIn, server: ServerProcess) => void,
): void {
  let standIn: StandIn | undefined;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    standIn = await startStandIn();
    server = await start(envFor(standIn, env));
    ready(standIn, server);
  });
  afterEach(() => standIn?.reset());
  afterAll(async () => {
    await server?.close();
    await standIn?.close();
    for (const result of server?.results ?? []) expectNoKey(result);
    expectNoKey(server?.stderr() ?? '');
  });
}
