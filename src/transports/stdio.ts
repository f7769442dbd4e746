/**
 * MCP over stdin and stdout, one JSON-RPC message a line: the way desktop hosts start the server.
 * stdout belongs to JSON-RPC; everything human goes to stderr through the logger. The server stops
 * when its client closes stdin, on SIGTERM or SIGINT, or when stdout breaks.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../config.js';
import { CANCEL_SETTLE_MS, CLOSE_MS, exitProcess, SHUTDOWN_GRACE_MS, settledWithin } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { PACKAGE_VERSION } from '../package-info.js';
import { createRedactor, redactUrl } from '../redact.js';
import { createServer } from '../server.js';
import { preloadHttp } from '../solarproof/undici.js';
import type { Mode } from '../tools/define.js';
import { LineLimit, MAX_LINE_BYTES, tooLargeResponse } from './stdin-limit.js';

export interface ServeStdioOptions {
  mode: Mode;
  /** Stops the sandbox's simulated Solar Proof, when there is one. */
  stopSandbox?: () => Promise<void>;
}

export async function serveStdio(config: Config, options: ServeStdioOptions): Promise<void> {
  const redact = createRedactor([config.apiKey]);
  const logger = createLogger(config.logLevel, redact);
  const app = createServer(config, { logger, redact, mode: options.mode });
  // A malformed line on stdin must not stop the server: the transport reports it here and reads on.
  app.server.onerror = (error) => logger.warn('ignored malformed input on stdin', { error: error.message });

  let closing = false;
  const shutdown = (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { reason, callsInFlight: app.calls.size, graceMs: SHUTDOWN_GRACE_MS });
    // Every step below is bounded; this is the backstop should one of them not be.
    const backstop = setTimeout(
      () => void exitProcess(0, logger),
      SHUTDOWN_GRACE_MS + CANCEL_SETTLE_MS + 2 * CLOSE_MS + 1_000,
    );
    backstop.unref();
    void (async () => {
      const report = await app.shutdown(SHUTDOWN_GRACE_MS);
      if (options.stopSandbox) await settledWithin([options.stopSandbox()], CLOSE_MS);
      logger.info('shut down', { ...report });
      await exitProcess(0, logger);
    })();
  };
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  // Should the transport close itself (it does on a broken pipe), say so instead of exiting mutely.
  app.server.onclose = () => shutdown('transport closed');
  // A host that goes away mid-write leaves stdout broken (EPIPE): stop cleanly rather than crash.
  process.stdout.on('error', () => shutdown('stdout closed'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // Once the handshake is done, load the HTTP client in the background so the first call is not slower.
  app.server.oninitialized = () => {
    setTimeout(() => void preloadHttp().catch(() => {}), 0);
  };
  let transport: StdioServerTransport | undefined;
  const input = process.stdin.pipe(
    new LineLimit(MAX_LINE_BYTES, (bytes, id) => {
      logger.warn('dropped an oversized line on stdin', {
        bytes,
        limit: MAX_LINE_BYTES,
        answered: id !== undefined,
      });
      // Through the transport's own send: one whole line, queued with the SDK's own writes.
      if (id !== undefined) void transport?.send(tooLargeResponse(id, bytes)).catch(() => {});
    }),
  );
  transport = new StdioServerTransport(input, process.stdout);
  await app.server.connect(transport);

  logger.info('solarproof-mcp ready', {
    version: PACKAGE_VERSION,
    mode: options.mode,
    baseUrl: redactUrl(config.baseUrl),
    method: config.httpMethod,
    // In sandbox mode the key is the server's own placeholder, not one the user gave.
    apiKey: options.mode === 'sandbox' ? 'not needed (sandbox)' : config.apiKey ? 'set' : 'missing',
    auditLog: config.auditLog ?? 'off',
    ...(config.problems.length ? { problems: config.problems } : {}),
  });
}
