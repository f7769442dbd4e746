/**
 * MCP over Streamable HTTP at /mcp, stateless: every POST gets a fresh MCP server and SDK transport
 * (no session, so any number of instances can sit behind any load balancer), sharing one config,
 * one connection pool to Solar Proof, one audit log and one tracker of calls in flight.
 *
 * Everything a request can be refused for is checked here, before any MCP code runs and before
 * the body is read where possible: draining (503), path (404), Host and Origin (403, the DNS
 * rebinding protection the spec asks for), the bearer token (401), method (405), content type
 * (415), calls in flight (503 with Retry-After), body size (413), JSON (400).
 */
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuditSink } from '../audit/log.js';
import type { Config } from '../config.js';
import {
  CANCEL_SETTLE_MS,
  CallsInFlight,
  CLOSE_MS,
  type DrainReport,
  exitProcess,
  SHUTDOWN_GRACE_MS,
  settledWithin,
} from '../lifecycle.js';
import { createLogger, type Logger } from '../logger.js';
import { PACKAGE_VERSION } from '../package-info.js';
import { createRedactor, type Redactor, redactUrl } from '../redact.js';
import { createServer, createToolResources } from '../server.js';
import { preloadHttp } from '../solarproof/undici.js';
import type { Mode, ToolContext } from '../tools/define.js';
import { Accounts, checkKeyHeader } from './accounts.js';
import {
  bearerMatches,
  digest,
  type HttpSettings,
  hostAllowed,
  originAllowed,
  type RequestOrigins,
  requestOrigins,
} from './http-settings.js';

const MCP_PATH = '/mcp';
const HEALTH_PATH = '/healthz';
/** What a client is told to wait when the server is full or draining. */
const RETRY_AFTER_SECONDS = 1;

export interface HttpOptions {
  mode: Mode;
  /** Where log lines go; stderr by default. */
  sink?: { write(chunk: string): unknown };
  /** Where audit records go; by default the file the config names. */
  audit?: AuditSink;
}

export interface HttpService {
  /** The endpoint, e.g. http://127.0.0.1:3000/mcp. */
  readonly url: string;
  readonly port: number;
  readonly logger: Logger;
  readonly calls: CallsInFlight;
  /**
   * Stops accepting connections, answers every new request 503, lets the calls in flight finish
   * within `graceMs` (then cancels the rest), and closes. Calling it again returns the same promise.
   */
  shutdown(graceMs?: number): Promise<HttpShutdownReport>;
}

export interface HttpShutdownReport extends DrainReport {
  /** Whether the pool and the audit log closed in time (a hung audit write may hold them). */
  closed: boolean;
}

interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
  /** JSON-RPC code in the body: -32000 as the SDK's transport uses, -32700 for unparseable JSON. */
  code?: number;
}

/** Starts listening; resolves once the port is bound. Does not touch stdin, signals or the process. */
export async function startHttpServer(
  config: Config,
  settings: HttpSettings,
  options: HttpOptions,
): Promise<HttpService> {
  const sink = options.sink ?? process.stderr;
  const secrets = [config.apiKey, settings.token];
  const redact = createRedactor(secrets);
  const logger = createLogger(config.logLevel, redact, sink);
  const shared = createToolResources(config, { logger, redact, mode: options.mode, audit: options.audit });
  const accounts = settings.keyHeader
    ? await Accounts.create({
        config,
        mode: options.mode,
        logLevel: config.logLevel,
        sink,
        secrets,
        audit: shared.context.audit,
      })
    : undefined;
  const calls = new CallsInFlight();
  const tokenDigest = settings.token === undefined ? undefined : digest(settings.token);
  let origins: RequestOrigins | undefined;
  let inFlight = 0;
  let draining = false;
  /** Responses not yet finished, so a shutdown can wait for the answers to calls it let finish. */
  const open = new Map<ServerResponse, Promise<void>>();

  const refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal) => {
    logger.info('HTTP request refused', {
      status: refusal.status,
      method: req.method,
      path: pathOf(req),
      reason: refusal.message,
    });
    const body = JSON.stringify({
      jsonrpc: '2.0',
      error: { code: refusal.code ?? -32000, message: refusal.message },
      id: null,
    });
    res.writeHead(refusal.status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
      ...(draining ? { connection: 'close' } : {}),
      ...refusal.headers,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req);
    if (path === HEALTH_PATH) return health(req, res);
    if (draining) {
      return refuse(req, res, {
        status: 503,
        message: 'The server is shutting down and takes no new requests; send it to another instance.',
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      });
    }
    if (path !== MCP_PATH)
      return refuse(req, res, { status: 404, message: `Not found: MCP is served at ${MCP_PATH}.` });
    const allowed = origins as RequestOrigins;
    if (!hostAllowed(req.headers.host, allowed)) {
      return refuse(req, res, {
        status: 403,
        message:
          'Forbidden: the Host header is not a name this server answers to (set SOLARPROOF_HTTP_ALLOWED_HOSTS for a public name).',
      });
    }
    if (!originAllowed(req.headers.origin, allowed)) {
      return refuse(req, res, {
        status: 403,
        message:
          'Forbidden: requests from this Origin are not allowed (set SOLARPROOF_HTTP_ALLOWED_ORIGINS to allow a web app).',
      });
    }
    if (tokenDigest && !bearerMatches(req.headers.authorization, tokenDigest)) {
      const presented = req.headers.authorization !== undefined;
      return refuse(req, res, {
        status: 401,
        message: 'Unauthorized: send the server’s token as "Authorization: Bearer <token>".',
        headers: {
          'www-authenticate': `Bearer realm="solarproof-mcp"${presented ? ', error="invalid_token"' : ''}`,
        },
      });
    }
    if (req.method !== 'POST') {
      return refuse(req, res, {
        status: 405,
        message:
          'Method not allowed: this server is stateless and takes only POST at /mcp (no event stream to GET, no session to DELETE).',
        headers: { allow: 'POST' },
      });
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return refuse(req, res, {
        status: 415,
        message: 'Unsupported Media Type: the body must be JSON-RPC with Content-Type: application/json.',
      });
    }
    let key: string | undefined;
    if (settings.keyHeader) {
      // Distinct values: Node joins repeated headers with ", ", which would make two keys look like one.
      const checked = checkKeyHeader(req.headersDistinct[settings.keyHeader], settings.keyHeader);
      if (typeof checked !== 'string') return refuse(req, res, { status: 400, message: checked.problem });
      key = checked;
    }
    if (inFlight >= settings.maxInFlight) {
      return refuse(req, res, {
        status: 503,
        message: `Too many requests in flight (at most ${settings.maxInFlight}); retry shortly.`,
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      });
    }

    let weight = 1;
    inFlight += weight;
    res.once('close', () => {
      inFlight -= weight;
    });
    const body = await readBody(req, settings.maxBodyBytes);
    if (body === 'too large') {
      return refuse(req, res, {
        status: 413,
        message: `Payload Too Large: the body must not exceed ${settings.maxBodyBytes} bytes (SOLARPROOF_HTTP_MAX_BODY_BYTES).`,
        // The rest of the body is not read; the connection cannot carry another request.
        headers: { connection: 'close' },
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return refuse(req, res, {
        status: 400,
        code: -32700,
        message: 'Parse error: the body is not valid JSON.',
      });
    }
    // A batch holds several requests: each counts against the bound.
    const requests = Array.isArray(parsed) ? parsed.filter(isRequestLike).length : 1;
    if (requests > 1) {
      if (inFlight - weight + requests > settings.maxInFlight) {
        return refuse(req, res, {
          status: 503,
          message: `Too many requests in flight (at most ${settings.maxInFlight}); retry shortly.`,
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        });
      }
      inFlight += requests - weight;
      weight = requests;
    }

    let context: ToolContext = shared.context;
    let requestLogger = logger;
    let requestRedact: Redactor = redact;
    if (key !== undefined && accounts) {
      let release: () => void;
      ({ context, logger: requestLogger, redact: requestRedact, release } = accounts.contextFor(key));
      // The answer may still be on its way when serveMcp returns: the request ends with its response.
      res.once('close', release);
    }
    await serveMcp(req, res, parsed, {
      config,
      context,
      logger: requestLogger,
      redact: requestRedact,
      mode: options.mode,
      calls,
    });
  };

  const health = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return refuse(req, res, {
        status: 405,
        message: 'Method not allowed: GET /healthz.',
        headers: { allow: 'GET, HEAD' },
      });
    }
    const body = JSON.stringify({
      status: draining ? 'draining' : 'ok',
      version: PACKAGE_VERSION,
      mode: options.mode,
    });
    res.writeHead(draining ? 503 : 200, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
      ...(draining ? { connection: 'close', 'retry-after': String(RETRY_AFTER_SECONDS) } : {}),
    });
    res.end(body);
  };

  const http: HttpServer = createHttpServer(
    // Bounds on a slow client: the whole request (headers and body) must arrive within these.
    { headersTimeout: 15_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      open.set(
        res,
        new Promise((resolve) => {
          res.once('close', () => {
            open.delete(res);
            resolve();
          });
        }),
      );
      handle(req, res).catch((error: unknown) => {
        logger.error('HTTP request failed', { path: pathOf(req), error: String(error) });
        if (!res.headersSent) refuse(req, res, { status: 500, message: 'Internal server error.' });
        else res.destroy();
      });
    },
  );
  http.on('clientError', (error, socket) => {
    logger.debug('malformed HTTP request', { error: error.message });
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(settings.port, settings.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (error) => logger.error('HTTP server error', { error: error.message }));
  const port = (http.address() as AddressInfo).port;
  origins = requestOrigins(settings, port);
  // Load the HTTP client now, so the first call does not wait for it.
  void preloadHttp().catch(() => {});

  let shuttingDown: Promise<HttpShutdownReport> | undefined;
  return {
    url: `http://${urlHost(settings.host)}:${port}${MCP_PATH}`,
    port,
    logger,
    calls,
    shutdown(graceMs = SHUTDOWN_GRACE_MS) {
      shuttingDown ??= (async () => {
        draining = true;
        // No new connections; idle keep-alive ones are closed, and open ones close after their answer.
        http.close();
        for (const res of open.keys()) if (!res.headersSent) res.shouldKeepAlive = false;
        const drained = await calls.drain(graceMs);
        // The calls are done; let their answers reach the clients before the connections go.
        await settledWithin(open.values(), CLOSE_MS);
        http.closeAllConnections();
        const closed = await settledWithin(
          [shared.close(), accounts?.close() ?? Promise.resolve()],
          CLOSE_MS,
        );
        return { ...drained, closed };
      })();
      return shuttingDown;
    },
  };
}

interface McpRequestScope {
  config: Config;
  context: ToolContext;
  logger: Logger;
  redact: Redactor;
  mode: Mode;
  calls: CallsInFlight;
}

/**
 * One POST, answered by a server and a transport of its own. The answer is JSON, unless a request
 * asks for progress: then it is an event stream, which carries the progress notifications before the
 * result. When the client goes away first, closing the server aborts its calls (they end CANCELLED).
 */
async function serveMcp(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  scope: McpRequestScope,
): Promise<void> {
  const app = createServer(scope.config, {
    logger: scope.logger,
    redact: scope.redact,
    mode: scope.mode,
    context: scope.context,
    calls: scope.calls,
    requireInitialize: false,
  });
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !asksForProgress(body),
  });
  // What the transport itself refuses (Accept, JSON-RPC shape, protocol version) it answers; say so in the log.
  app.server.onerror = (error) => scope.logger.info('MCP request refused', { error: error.message });
  res.once('close', () => void app.close().catch(() => {}));
  await app.server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** A plain look, not a schema parse: the SDK's transport parses and checks every message itself. */
function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => {
    if (!isRequestLike(message)) return false;
    const params = (message as { params?: { _meta?: { progressToken?: unknown } } }).params;
    return params?._meta?.progressToken !== undefined && params._meta.progressToken !== null;
  });
}

function isRequestLike(message: unknown): boolean {
  return typeof message === 'object' && message !== null && 'method' in message && 'id' in message;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** application/json, with any parameters (charset), as a media type, not a substring. */
function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  return value.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

/** The body as text, or 'too large' as soon as it is known to exceed `max` (without reading the rest). */
function readBody(req: IncomingMessage, max: number): Promise<string | 'too large'> {
  if (Number(req.headers['content-length']) > max) return Promise.resolve('too large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.off('end', onEnd);
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export interface ServeHttpOptions {
  mode: Mode;
  /** Stops the sandbox's simulated Solar Proof, when there is one. */
  stopSandbox?: () => Promise<void>;
}

/** HTTP mode as a process: serve until SIGTERM or SIGINT, then drain and exit. Stdin is never read. */
export async function serveHttp(
  config: Config,
  settings: HttpSettings,
  options: ServeHttpOptions,
): Promise<void> {
  const service = await startHttpServer(config, settings, { mode: options.mode });
  const { logger } = service;
  let closing = false;
  const shutdown = (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { reason, callsInFlight: service.calls.size, graceMs: SHUTDOWN_GRACE_MS });
    // Every step below is bounded; this is the backstop should one of them not be.
    const backstop = setTimeout(
      () => void exitProcess(0, logger),
      SHUTDOWN_GRACE_MS + CANCEL_SETTLE_MS + 3 * CLOSE_MS + 1_000,
    );
    backstop.unref();
    void (async () => {
      const report = await service.shutdown(SHUTDOWN_GRACE_MS);
      if (options.stopSandbox) await settledWithin([options.stopSandbox()], CLOSE_MS);
      logger.info('shut down', { ...report });
      await exitProcess(0, logger);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  logger.info('solarproof-mcp listening', {
    url: service.url,
    version: PACKAGE_VERSION,
    mode: options.mode,
    baseUrl: redactUrl(config.baseUrl),
    method: config.httpMethod,
    apiKey: settings.keyHeader
      ? `per request, in ${settings.keyHeader}`
      : options.mode === 'sandbox'
        ? 'not needed (sandbox)'
        : config.apiKey
          ? 'set'
          : 'missing',
    token: settings.token ? 'required' : 'none (loopback only)',
    auditLog: config.auditLog ?? 'off',
    ...(config.problems.length ? { problems: config.problems } : {}),
  });
}
