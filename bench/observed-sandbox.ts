/**
 * The benchmark's upstream: the product's sandbox API (with a key, and any of its faults, such as
 * latency), served on 127.0.0.1 in this process, with what the benchmark reads off it: each
 * request (who sent it, method, query, whether it had a body) and the TCP connections accepted.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createSandboxApi, type SandboxApiOptions } from '../src/sandbox/api.js';
import { listenOnLoopback, readRequest, respond } from '../src/sandbox/sandbox.js';

export interface ObservedRequest {
  method: string;
  query: Record<string, string>;
  hasBody: boolean;
  headers: IncomingHttpHeaders;
}

export interface ObservedSandbox {
  readonly url: string;
  /** Every request so far; the benchmark may empty it. */
  readonly requests: ObservedRequest[];
  /** Called for each request as it arrives. */
  onRequest(listener: (request: ObservedRequest) => void): void;
  connectionCount(): number;
  close(): Promise<void>;
}

export async function startObservedSandbox(options: SandboxApiOptions): Promise<ObservedSandbox> {
  const api = createSandboxApi(options);
  const requests: ObservedRequest[] = [];
  const listeners: Array<(request: ObservedRequest) => void> = [];
  let connections = 0;
  const server = await listenOnLoopback(async (req, res) => {
    const request = await readRequest(req);
    const observed = {
      method: request.method,
      query: request.query,
      hasBody: request.rawBody.length > 0,
      headers: req.headers,
    };
    requests.push(observed);
    for (const listener of listeners) listener(observed);
    respond(res, api, request);
  });
  server.server.on('connection', () => connections++);
  return {
    url: server.url,
    requests,
    onRequest: (listener) => listeners.push(listener),
    connectionCount: () => connections,
    close: () => server.close(),
  };
}
