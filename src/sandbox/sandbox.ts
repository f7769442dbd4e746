/**
 * The sandbox: a Solar Proof of its own on 127.0.0.1, so the server can be tried without an
 * account (SOLARPROOF_SANDBOX=1 or --sandbox). An HTTP server around the sandbox's API
 * (src/sandbox/api.ts), with the faults the user switched on.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createSandboxApi, type SandboxApi, type SandboxApiOptions, type SandboxRequest } from './api.js';

export interface SandboxOptions extends SandboxApiOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Largest request body read, so a hostile client cannot fill memory. */
  maxBodyBytes?: number;
}

export interface Sandbox {
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const api = createSandboxApi(options);
  const { url, close } = await listenOnLoopback(async (req, res) => {
    respond(res, api, await readRequest(req, options.maxBodyBytes));
  }, options.port);
  return { url, close };
}

export interface LoopbackServer {
  readonly url: string;
  readonly server: Server;
  /** Ends every open connection, then stops listening. */
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that keeps connections alive as a real service would. */
export async function listenOnLoopback(listener: RequestListener, port = 0): Promise<LoopbackServer> {
  const server = createServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads the whole request; a body over `limit` is not kept (the API answers it 413). */
export async function readRequest(
  req: IncomingMessage,
  limit = DEFAULT_MAX_BODY_BYTES,
): Promise<SandboxRequest> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const rawBody = await readBody(req, limit);
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    rawBody: rawBody ?? '',
    body: parseJson(rawBody),
    bodyTooLarge: rawBody === undefined,
  };
}

/** The API's reply, after its delay. A client that left meanwhile gets nothing (the change stays made). */
export function respond(res: ServerResponse, api: SandboxApi, request: SandboxRequest): void {
  let reply: ReturnType<SandboxApi['answer']>;
  try {
    reply = api.answer(request);
  } catch (error) {
    send(res, 500, { code: 'UPDATE_FAILED', message: `Sandbox error: ${String(error)}` });
    return;
  }
  const { status, body, delayMs } = reply;
  if (delayMs <= 0) {
    send(res, status, body);
    return;
  }
  // Unref'd: a held answer must not keep a stopping process alive.
  setTimeout(() => {
    if (!res.destroyed) send(res, status, body);
  }, delayMs).unref();
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    .end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
