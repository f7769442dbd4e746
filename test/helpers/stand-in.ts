/**
 * The stand-in Solar Proof the tests talk to: a real HTTP server on 127.0.0.1 (port 0) that records
 * every request, misbehaves when a test tells it to, and otherwise answers as the sandbox's API does
 * (src/sandbox/api.ts: the documented contract over the seeded customers). The product's sandbox
 * knows nothing of this; the test-only instruments live here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createSandboxApi, type SandboxApi, type SandboxApiOptions } from '../../src/sandbox/api.js';
import { listenOnLoopback, readRequest, respond, send } from '../../src/sandbox/sandbox.js';

export { send };

/**
 * A distinctive key with every character a query string mangles (&, +, =, /, space), so a leak
 * in any encoding is found by searching for it, and a wrong encoding fails authentication.
 * The only key the stand-in accepts unless told otherwise.
 */
export const SENTINEL_KEY = 'spk_LEAKCHECK&k+e=y/ 7f3Qz';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string exactly as received, before decoding. */
  rawQuery: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** The JSON body, or undefined when it was not JSON. */
  body: unknown;
  /** Set when the client went away before the response was complete (a cancelled call). */
  abortedByClient: boolean;
  /** Which TCP connection carried it, numbered from 1. */
  connection: number;
}

/**
 * A misbehaviour for one test: gets the request before the contract does. Return true when it has
 * answered (or deliberately never will); false to let the contract answer normally.
 */
export type Behaviour = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => boolean | Promise<boolean>;

export interface StandInOptions extends SandboxApiOptions {
  /** Largest request body read. */
  maxBodyBytes?: number;
}

export interface StandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The customers as the contract stores them now, by id. */
  readonly customers: SandboxApi['customers'];
  /** TCP connections accepted so far. */
  connectionCount(): number;
  /** Every request goes through this behaviour until it is replaced or cleared. */
  setBehaviour(behaviour: Behaviour | undefined): void;
  /** The next request (or the next n) goes through this behaviour, then the previous rules apply. */
  once(behaviour: Behaviour, times?: number): void;
  /** Resolves when `count` requests have been received. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Fresh customers, no requests, no misbehaviour. */
  reset(): void;
  close(): Promise<void>;
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const apiOptions = { apiKey: SENTINEL_KEY, ...options };
  let api = createSandboxApi(apiOptions);
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const queue: Behaviour[] = [];
  let behaviour: Behaviour | undefined;
  let connections = 0;
  const connectionIds = new WeakMap<Socket, number>();

  const server = await listenOnLoopback(async (req, res) => {
    const request = await readRequest(req, options.maxBodyBytes);
    const recorded: RecordedRequest = {
      method: request.method,
      path: request.path,
      rawQuery: new URL(req.url ?? '/', 'http://127.0.0.1').search.slice(1),
      query: request.query,
      headers: req.headers,
      rawBody: request.rawBody,
      body: request.body,
      abortedByClient: false,
      connection: connectionIds.get(req.socket) ?? 0,
    };
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.abortedByClient = true;
    });
    for (const wake of waiters) wake();

    try {
      const override = queue.shift() ?? behaviour;
      if (override && (await override(req, res, recorded))) return;
    } catch (error) {
      if (!res.headersSent)
        send(res, 500, { code: 'UPDATE_FAILED', message: `Stand-in error: ${String(error)}` });
      return;
    }
    respond(res, api, request);
  });
  server.server.on('connection', (socket) => connectionIds.set(socket, ++connections));

  return {
    url: server.url,
    requests,
    get customers() {
      return api.customers;
    },
    connectionCount: () => connections,
    setBehaviour(next) {
      behaviour = next;
    },
    once(next, times = 1) {
      for (let i = 0; i < times; i++) queue.push(next);
    },
    waitForRequests(count, timeoutMs = 5_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} requests, got ${requests.length}`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    reset() {
      api = createSandboxApi(apiOptions);
      requests.length = 0;
      queue.length = 0;
      behaviour = undefined;
    },
    close: () => server.close(),
  };
}
