/**
 * The one way tests start the built server as a process: `spawnServer` gives the raw pipes (for
 * tests of stdio framing, signals and exit), and `ChildTransport` speaks JSON-RPC over them for the
 * SDK Client (test/helpers/harness.ts). Only tests under test/process/ and test/fuzz/ may spawn:
 * `npm run test:fast` runs neither and refuses a spawn, so a misplaced process test fails loudly.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Built by the vitest global setup (test/global-setup.ts) before any test runs. */
export const SERVER_ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export interface ServerChild {
  child: ChildProcessWithoutNullStreams;
  /** Everything the server wrote to stdout so far. */
  stdout(): string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  send(data: string | Buffer): void;
  /** Every JSON-RPC message received so far (every stdout line must be JSON). */
  messages(): Record<string, any>[];
  /** Resolves with the JSON-RPC response carrying this id. */
  response(id: number | string, timeoutMs?: number): Promise<Record<string, any>>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves with how long the process took to exit after `since`; kills it and rejects past `timeoutMs`. */
  exitWithin(
    timeoutMs: number,
    since?: number,
  ): Promise<{ ms: number; code: number | null; signal: string | null }>;
  /** Closes stdin and waits for the exit; SIGTERM, then SIGKILL, if it does not come (as the SDK's stdio transport does). */
  stop(): Promise<void>;
}

/** Spawns the built server with exactly this environment (nothing inherited) in `cwd`. */
export function spawnServer(
  env: Record<string, string>,
  options: { args?: readonly string[]; cwd?: string } = {},
): ServerChild {
  if (process.env.SOLARPROOF_TESTS_IN_PROCESS_ONLY) {
    throw new Error(
      'npm run test:fast does not spawn the server: a test that needs a process belongs under test/process/.',
    );
  }
  const child = spawn(process.execPath, [SERVER_ENTRY, ...(options.args ?? [])], {
    env,
    cwd: options.cwd,
  });
  const collect = (stream: NodeJS.ReadableStream) => {
    const decoder = new StringDecoder('utf8');
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += decoder.write(chunk);
    });
    return () => text;
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  // A test may write after closing stdin, or after the server is gone; that is not the test's error.
  child.stdin.on('error', () => {});
  const messages = () =>
    stdout()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, any>);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  exited.catch(() => {}); // a failed spawn is reported by whoever awaits it
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const within = (ms: number) =>
    Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
  return {
    child,
    stdout,
    stderr,
    send: (data) => child.stdin.write(data),
    messages,
    exited,
    async response(id, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages().find((message) => message.id === id);
        if (found) return found;
        if (Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no response with id ${id}; stdout: ${stdout().slice(0, 2_000)}; stderr: ${stderr()}`);
    },
    async exitWithin(timeoutMs, since = performance.now()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(`still running ${timeoutMs} ms later (killed now); stderr: ${stderr().slice(-3_000)}`),
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
    async stop() {
      if (!ended()) {
        child.stdin.end();
        await within(2_000);
      }
      if (!ended()) {
        child.kill('SIGTERM');
        await within(2_000);
      }
      if (!ended()) child.kill('SIGKILL');
      await closed;
    },
  };
}

/** JSON-RPC over a spawned server's stdin and stdout, one message a line, for the SDK Client. */
export class ChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #server: ServerChild;
  readonly #buffer = new ReadBuffer();

  constructor(server: ServerChild) {
    this.#server = server;
  }

  async start(): Promise<void> {
    const { child } = this.#server;
    child.on('error', (error) => this.onerror?.(error));
    child.on('close', () => this.onclose?.());
    child.stdin.on('error', (error) => this.onerror?.(error));
    child.stdout.on('data', (chunk: Buffer) => {
      try {
        this.#buffer.append(chunk);
      } catch (error) {
        this.onerror?.(error as Error);
        return;
      }
      for (;;) {
        let message: JSONRPCMessage | null;
        try {
          message = this.#buffer.readMessage();
        } catch (error) {
          this.onerror?.(error as Error);
          continue;
        }
        if (message === null) break;
        this.onmessage?.(message);
      }
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const { stdin } = this.#server.child;
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    await this.#server.stop();
    this.#buffer.clear();
  }
}
