#!/usr/bin/env node
/**
 * Entry point: reads the configuration from the environment and serves MCP over stdio.
 * stdout belongs to JSON-RPC; everything human goes to stderr through the logger.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { PACKAGE_VERSION } from './package-info.js';
import { createRedactor, redactUrl } from './redact.js';
import { createServer } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const redact = createRedactor([config.apiKey]);
  const logger = createLogger(config.logLevel, redact);
  const app = createServer(config, { logger, redact });

  // A malformed line on stdin must not stop the server: the transport reports it here and reads on.
  app.server.onerror = (error) => logger.warn('ignored malformed input on stdin', { error: error.message });

  let closing = false;
  const shutdown = (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { reason });
    const forced = setTimeout(() => process.exit(0), 2_000);
    forced.unref();
    app.close().finally(() => process.exit(0));
  };
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  await app.server.connect(new StdioServerTransport());

  logger.info('solarproof-mcp ready', {
    version: PACKAGE_VERSION,
    baseUrl: redactUrl(config.baseUrl),
    method: config.httpMethod,
    apiKey: config.apiKey ? 'set' : 'missing',
    ...(config.problems.length ? { problems: config.problems } : {}),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `solarproof-mcp failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
