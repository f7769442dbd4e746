/**
 * HTTP mode in tests: the server in this process (startHttpServer, the log kept as stderr would
 * be), an SDK Client over the SDK's own StreamableHTTPClientTransport, and raw requests through
 * node:http, which (unlike fetch) lets a test send any Host header, body and method.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuditSink } from '../../src/audit/log.js';
import { loadConfig } from '../../src/config.js';
import { type HttpService, startHttpServer } from '../../src/transports/http.js';
import { loadHttpSettings } from '../../src/transports/http-settings.js';
import { tempAuditPath } from './harness.js';

/** A distinctive bearer token, searched for in everything the server says, like SENTINEL_KEY. */
export const SENTINEL_TOKEN = 'tok_LEAKCHECK_b7Xq2mZr9wPe4nVt';

export interface InProcessHttp {
  service: HttpService;
  url: string;
  /** Where the server's log lines went. */
  stderr(): string;
  close(): Promise<void>;
}

/** The HTTP server in this process, configured from `env` as the process would be (port 0 unless given). */
export async function startInProcessHttp(
  env: Record<string, string>,
  options: { audit?: AuditSink } = {},
): Promise<InProcessHttp> {
  const full = { SOLARPROOF_AUDIT_LOG: tempAuditPath(), SOLARPROOF_HTTP_PORT: '0', ...env };
  const config = loadConfig(full, []);
  const loaded = loadHttpSettings(full);
  if ('problems' in loaded) throw new Error(loaded.problems.join(' '));
  let stderr = '';
  const service = await startHttpServer(config, loaded.settings, {
    mode: 'live',
    sink: {
      write(line: string) {
        stderr += line;
      },
    },
    ...options,
  });
  return {
    service,
    url: service.url,
    stderr: () => stderr,
    async close() {
      await service.shutdown(0);
    },
  };
}

/** An SDK Client connected to `url` over Streamable HTTP, with the token when given. */
export async function httpClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'solarproof-mcp-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

export const bearer = (token = SENTINEL_TOKEN) => ({ authorization: `Bearer ${token}` });

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Status line, headers and body as one text, for the leak checks. */
  text: string;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string | number | string[]>;
  body?: string | Buffer;
}

/** The MCP request headers a well-behaved client sends. */
export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** One request on a fresh connection; every header exactly as given (plus Host, unless given). */
export function raw(url: string, options: RawRequest = {}): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        method: options.method ?? 'POST',
        path: options.path ?? target.pathname,
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: `${res.statusCode} ${JSON.stringify(res.headers)}\n${body}`,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A JSON-RPC request body. */
export const rpc = (method: string, params?: unknown, id: number | string = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

/** The JSON-RPC message in a response, whether it came as JSON or as one SSE event. */
export function rpcResult(response: RawResponse): Record<string, any> {
  if (String(response.headers['content-type']).startsWith('text/event-stream')) {
    const data = response.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as Record<string, any>);
    const answer = data.find((message) => 'result' in message || 'error' in message);
    if (!answer) throw new Error(`no JSON-RPC answer in the event stream: ${response.body}`);
    return answer;
  }
  return JSON.parse(response.body) as Record<string, any>;
}

/** The URL a server started with --http logs on stderr once it listens. */
export async function listeningUrl(stderr: () => string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = /"message":"solarproof-mcp listening","url":"(http:\/\/[^"]+)"/.exec(stderr());
    if (found?.[1]) return found[1];
    if (Date.now() > deadline) throw new Error(`the server did not log its URL; stderr: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
