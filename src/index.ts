#!/usr/bin/env node
/**
 * Entry point: reads the command line and the environment, starts the simulated Solar Proof in
 * sandbox mode, and serves MCP over stdio (the default) or Streamable HTTP (--http).
 */
import { parseCommandLine, USAGE, USAGE_EXIT_CODE } from './command-line.js';
import { type Config, loadConfig } from './config.js';
import { PACKAGE_VERSION } from './package-info.js';
import { serveStdio } from './transports/stdio.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const command = parseCommandLine(argv);
  if (command.kind === 'error') {
    process.stderr.write(`solarproof-mcp: ${command.message}\n\n${USAGE}`);
    process.exit(USAGE_EXIT_CODE);
  }
  if (command.kind === 'help') return void process.stdout.write(USAGE);
  if (command.kind === 'version') return void process.stdout.write(`${PACKAGE_VERSION}\n`);
  const { options } = command;

  // parseArgs has checked the whole command line, so a "--sandbox" in it is that flag.
  let config: Config = loadConfig(process.env, argv);
  // HTTP settings are checked before anything starts: a refusal must not leave a sandbox behind.
  let http: import('./transports/http-settings.js').HttpSettings | undefined;
  if (options.http) {
    const { loadHttpSettings } = await import('./transports/http-settings.js');
    const loaded = loadHttpSettings(process.env, options);
    if ('problems' in loaded) {
      process.stderr.write(
        `solarproof-mcp cannot serve HTTP:\n${loaded.problems.map((p) => `  - ${p}\n`).join('')}`,
      );
      process.exit(1);
    }
    http = loaded.settings;
  }

  let stopSandbox: (() => Promise<void>) | undefined;
  if (config.sandbox) {
    // Loaded only in sandbox mode, so live start-up never pays for the sandbox.
    const { startSandbox } = await import('./sandbox/sandbox.js');
    const sandbox = await startSandbox({ faults: config.sandboxFaults });
    stopSandbox = () => sandbox.close();
    // The sandbox accepts any key; a random one keeps the redactor from matching ordinary words.
    config = { ...config, baseUrl: new URL(sandbox.url), apiKey: `sandbox-${crypto.randomUUID()}` };
  }
  const mode = config.sandbox ? 'sandbox' : 'live';

  if (http) {
    // Loaded only in HTTP mode, so stdio start-up never pays for node:http and the HTTP transport.
    const { serveHttp } = await import('./transports/http.js');
    await serveHttp(config, http, { mode, stopSandbox });
  } else {
    await serveStdio(config, { mode, stopSandbox });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `solarproof-mcp failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
