/**
 * HTTP mode in the benchmark: the built server started with --http, driven by the SDK Client over
 * its StreamableHTTPClientTransport (as an agent framework would), and the cost of what stateless
 * HTTP adds to every request: a fresh MCP server and transport.
 */
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../src/config.js';
import { CallsInFlight } from '../src/lifecycle.js';
import { silentLogger } from '../src/logger.js';
import { createServer, createToolResources } from '../src/server.js';
import { CALL_TIMEOUT_MS, type McpProcess, SPAWN_TIMEOUT_MS, track, waitForExit } from './lib.js';

/** A port nothing listens on right now (the kernel's choice for port 0, released again). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `node entry --http` on a free port with exactly `env` (its log level may stay at error: the port
 * is chosen here, so the URL need not be read from the log), connected through Streamable HTTP.
 */
export async function startHttpMcp(
  label: string,
  entry: string,
  env: Record<string, string>,
): Promise<McpProcess> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [entry, '--http'], {
      env: { ...env, SOLARPROOF_HTTP_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString('utf8');
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + SPAWN_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited: ${stderr}`);
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (performance.now() > deadline) throw new Error(`${label} did not listen: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const client = new Client({ name: 'solarproof-bench', version: '1.0.0' });
  // The transport hands its one AbortSignal to every POST. Node's fetch adds an abort listener to
  // it per request and removes that listener only when the request is garbage collected, so over
  // thousands of calls the signal can hold more than 1,500 listeners; past that every call prints a
  // MaxListenersExceededWarning in this process, and each new listener costs a walk of the list.
  // The bench never aborts a call in flight and closes the client only once every call has
  // settled, so the requests go without the signal.
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    fetch: (url, init) => fetch(url, { ...init, signal: null }),
  });
  await client.connect(transport, { timeout: SPAWN_TIMEOUT_MS });
  const listed = await client.request({ method: 'tools/list' }, ListToolsResultSchema, {
    timeout: CALL_TIMEOUT_MS,
  });
  return {
    label,
    client,
    pid: child.pid as number,
    tools: listed.tools.map((tool) => tool.name),
    stderr: () => stderr,
    close: async () => {
      await client.close();
      child.kill('SIGTERM');
      await waitForExit(child, 10_000);
    },
  };
}

/**
 * What HTTP mode builds for every request, in this process: an MCP server on the shared tool
 * resources, a stateless transport, connected, then both closed. Microseconds per request, median
 * of `rounds` rounds of `perRound`.
 */
export async function createServerCost(perRound: number, rounds: number): Promise<number> {
  const config = loadConfig({ SOLARPROOF_API_KEY: 'bench-key-not-used', SOLARPROOF_AUDIT_LOG: 'off' }, []);
  const shared = createToolResources(config, { logger: silentLogger, mode: 'live' });
  const calls = new CallsInFlight();
  const once = async () => {
    const app = createServer(config, {
      logger: silentLogger,
      context: shared.context,
      calls,
      requireInitialize: false,
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await app.server.connect(transport);
    await app.close();
  };
  for (let n = 0; n < perRound; n++) await once();
  const perCall: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const t = performance.now();
    for (let n = 0; n < perRound; n++) await once();
    perCall.push(((performance.now() - t) * 1000) / perRound);
  }
  await shared.close();
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)]!;
}
