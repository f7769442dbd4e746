/**
 * The built server as a bare child process spoken to in raw JSON-RPC lines, for what the SDK Client
 * hides or never does (requests before initialize, closing stdin while calls are in flight).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { SERVER_ENTRY } from '../helpers/harness.js';

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  send(line: string | Buffer): void;
  /** Every JSON-RPC message received so far. */
  messages(): Record<string, any>[];
  /** Resolves with the response carrying this id. */
  response(id: number | string, timeoutMs?: number): Promise<Record<string, any>>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves with how long the process took to exit after `since`, or rejects past `timeoutMs`. */
  exitWithin(
    timeoutMs: number,
    since?: number,
  ): Promise<{ ms: number; code: number | null; signal: string | null }>;
}

export function spawnRawServer(env: Record<string, string>, args: string[] = []): RawServer {
  const child = spawn(process.execPath, [SERVER_ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // The test may close stdin while the server is gone; that is not an error of the test.
  child.stdin.on('error', () => {});
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const messages = () =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, any>);
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    send: (line) => child.stdin.write(line),
    messages,
    exited,
    async response(id, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages().find((message) => message.id === id);
        if (found) return found;
        if (Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no response with id ${id}; stdout: ${stdout.slice(0, 2_000)}; stderr: ${stderr}`);
    },
    async exitWithin(timeoutMs, since = performance.now()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(`still running ${timeoutMs} ms later (killed now); stderr: ${stderr.slice(-3_000)}`),
          );
        }, timeoutMs);
      });
      try {
        const [code, signal] = await Promise.race([exited, timedOut]);
        return { ms: Math.round(performance.now() - since), code, signal };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export const initialize = (id: number | string = 0) =>
  `${JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw-test', version: '1' },
    },
  })}\n`;

export const initialized = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`;

export const request = (id: number | string, method: string, params?: unknown) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`;

export const updateCall = (id: number | string, args: Record<string, unknown>) =>
  request(id, 'tools/call', { name: 'update_customer', arguments: args });
