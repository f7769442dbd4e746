#!/usr/bin/env node
/**
 * Entry point: reads the configuration from the environment and serves MCP over stdio.
 * stdout belongs to JSON-RPC; everything human goes to stderr through the logger.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type Config, loadConfig } from './config.js';
import { CANCEL_SETTLE_MS, CLOSE_MS, exitProcess, SHUTDOWN_GRACE_MS, settledWithin } from './lifecycle.js';
import { createLogger } from './logger.js';
import { PACKAGE_VERSION } from './package-info.js';
import { createRedactor, redactUrl } from './redact.js';
import { createServer } from './server.js';
import { preloadHttp } from './solarproof/client.js';
import { LineLimit, MAX_LINE_BYTES, tooLargeResponse } from './stdin-limit.js';

async function main(): Promise<void> {
  let config: Config = loadConfig();
  let stopSandbox: (() => Promise<void>) | undefined;
  if (config.sandbox) {
    // Loaded only in sandbox mode, so live start-up never pays for the simulator.
    const { startSimulator } = await import('./sandbox/simulator.js');
    const simulator = await startSimulator();
    stopSandbox = () => simulator.close();
    // The simulator accepts any key; a random one keeps the redactor from matching ordinary words.
    config = { ...config, baseUrl: new URL(simulator.url), apiKey: `sandbox-${crypto.randomUUID()}` };
  }

  const redact = createRedactor([config.apiKey]);
  const logger = createLogger(config.logLevel, redact);
  const app = createServer(config, { logger, redact, mode: config.sandbox ? 'sandbox' : 'live' });
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
      if (stopSandbox) await settledWithin([stopSandbox()], CLOSE_MS);
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
    mode: config.sandbox ? 'sandbox' : 'live',
    baseUrl: redactUrl(config.baseUrl),
    method: config.httpMethod,
    apiKey: config.apiKey ? 'set' : 'missing',
    auditLog: config.auditLog ?? 'off',
    ...(config.problems.length ? { problems: config.problems } : {}),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `solarproof-mcp failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
