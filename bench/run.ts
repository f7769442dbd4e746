/**
 * Benchmark: cold start, per-call overhead, throughput, connection reuse and memory of the built
 * server (dist/index.js), all measured side by side in one run on loopback against the stand-in
 * Solar Proof (the sandbox simulator, in this process, with an API key).
 *
 * Run with `npm run bench` (builds first). Prints a table and writes bench/RESULTS.md. It is a
 * report, not a test: a missed target does not change the exit code; only a broken run does.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type CallToolResult, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { Agent, request } from 'undici';
import { type Simulator, startSimulator } from '../src/sandbox/simulator.js';

// ---------------------------------------------------------------------------------------------
// Settings. Every loop below is bounded by one of these counts, and the whole run by DEADLINE_MS.

const COLD_RUNS = 21;
const OVERHEAD_WARMUP = 100;
const OVERHEAD_PAIRS = 1_000;
const AUDIT_WARMUP = 30;
const AUDIT_PAIRS = 300;
const THROUGHPUT_CONCURRENCY = 16;
const THROUGHPUT_WARMUP = 400;
/** Per round; two rounds per side in the order direct, server, server, direct. */
const THROUGHPUT_CALLS = 2_000;
const CONNECTION_CALLS = 50;
const MEMORY_WARMUP = 100;
const MEMORY_CALLS = 5_000;
const MEMORY_CONCURRENCY = 4;
const CALL_TIMEOUT_MS = 10_000;
const SPAWN_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 240_000;

const TARGET = {
  coldRatio: 1.4,
  overheadP50: 0.5,
  overheadP99: 2,
  throughputRatio: 0.7,
  connections: 1,
  rssMb: 80,
  rssGrowth: 0.1,
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_ENTRY = join(ROOT, 'dist', 'index.js');
const REFERENCE_ENTRY = join(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'server-memory',
  'dist',
  'index.js',
);
const RESULTS_PATH = join(ROOT, 'bench', 'RESULTS.md');
const API_KEY = 'bench_k3y-7f3Qz&x=1';
const CUSTOMER_ID = 79461;
const TMP = mkdtempSync(join(tmpdir(), 'solarproof-bench-'));

// ---------------------------------------------------------------------------------------------
// Statistics.

/** Linear interpolation between closest ranks (Hyndman & Fan type 7, numpy's default). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low]!;
  const b = sorted[high]!;
  return a + (b - a) * (rank - low);
}

const median = (values: readonly number[]) => percentile(values, 50);

// ---------------------------------------------------------------------------------------------
// Processes: everything spawned is tracked so it is ended on the way out, whatever happens.

const children = new Set<ChildProcess>();
const clients = new Set<Client>();
/** Server processes the SDK transport spawned, for the watchdog; each is closed through its Client. */
const serverPids = new Set<number>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function waitForExit(child: ChildProcess, timeoutMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '' };
}

function serverEnv(sim: Simulator, auditLog = 'off'): Record<string, string> {
  return {
    ...baseEnv(),
    SOLARPROOF_API_KEY: API_KEY,
    SOLARPROOF_BASE_URL: sim.url,
    SOLARPROOF_AUDIT_LOG: auditLog,
    SOLARPROOF_LOG_LEVEL: 'error',
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Cold start.

const INITIALIZE_LINE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'solarproof-bench', version: '1.0.0' },
  },
})}\n`;

type ColdKind = 'bare' | 'ours' | 'reference';

/** Bare node: spawn to exit. A server: spawn to its initialize response line on stdout. */
function coldStart(kind: ColdKind, sim: Simulator): Promise<number> {
  const memoryFile = join(TMP, 'memory.jsonl');
  const [args, env] =
    kind === 'bare'
      ? [['-e', ''], baseEnv()]
      : kind === 'ours'
        ? [[SERVER_ENTRY], serverEnv(sim)]
        : [[REFERENCE_ENTRY], { ...baseEnv(), MEMORY_FILE_PATH: memoryFile }];

  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let done = false;
    const started = performance.now();
    const child = track(spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    const timer = setTimeout(
      () => finish(new Error(`${kind}: no answer within ${SPAWN_TIMEOUT_MS} ms`)),
      SPAWN_TIMEOUT_MS,
    );
    const finish = (error: Error | undefined, elapsed = 0) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Wait for the process to be gone so runs never overlap and compete for the two cores.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      void waitForExit(child).then(() => (error ? reject(error) : resolve(elapsed)));
    };
    child.on('error', (error) => finish(error));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4_000) stderr += chunk.toString('utf8');
    });
    if (kind === 'bare') {
      child.once('exit', (code) =>
        finish(code === 0 ? undefined : new Error(`bare node exited ${code}`), performance.now() - started),
      );
      return;
    }
    child.stdout?.on('data', (chunk: Buffer) => {
      const elapsed = performance.now() - started;
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const message = JSON.parse(stdout.slice(0, newline)) as { id?: unknown; result?: unknown };
      if (message.id !== 1 || message.result === undefined) {
        finish(new Error(`${kind}: unexpected first line ${stdout.slice(0, 300)}`));
      } else finish(undefined, elapsed);
    });
    child.once('exit', (code) => finish(new Error(`${kind} exited (${code}) before answering: ${stderr}`)));
    child.stdin?.write(INITIALIZE_LINE);
  });
}

interface ColdResult {
  bare: number[];
  ours: number[];
  reference: number[];
}

async function measureColdStart(sim: Simulator): Promise<ColdResult> {
  const result: ColdResult = { bare: [], ours: [], reference: [] };
  const kinds: ColdKind[] = ['bare', 'ours', 'reference'];
  // One warm-up of each (page cache, node's compile cache), not recorded.
  for (const kind of kinds) await coldStart(kind, sim);
  for (let run = 0; run < COLD_RUNS; run++) {
    // Rotate the order so no kind always runs right after another.
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(run + k) % kinds.length]!;
      result[kind].push(await coldStart(kind, sim));
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Calls: straight to the stand-in, and through the server with the SDK Client over stdio.

interface Server {
  client: Client;
  pid: number;
  stderr(): string;
  close(): Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'solarproof-bench', version: '1.0.0' });
  clients.add(client);
  await client.connect(transport, { timeout: SPAWN_TIMEOUT_MS });
  // As a host does: list the tools first (this also makes the Client check every result's shape).
  await client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
  const pid = transport.pid;
  if (pid === null) throw new Error('server process has no pid');
  serverPids.add(pid);
  return {
    client,
    pid,
    stderr: () => stderr,
    close: async () => {
      clients.delete(client);
      await client.close();
      serverPids.delete(pid);
    },
  };
}

function phoneFor(i: number): string {
  return `04${String(i % 100_000_000).padStart(8, '0')}`;
}

async function callServer(server: Server, i: number): Promise<void> {
  const result = (await server.client.callTool(
    { name: 'update_customer', arguments: { pkcustomerid: CUSTOMER_ID, phone1: phoneFor(i) } },
    undefined,
    { timeout: CALL_TIMEOUT_MS },
  )) as CallToolResult;
  const structured = result.structuredContent as { ok?: unknown } | undefined;
  if (result.isError || structured?.ok !== true) {
    throw new Error(`update_customer failed: ${JSON.stringify(result).slice(0, 500)}\n${server.stderr()}`);
  }
}

function directCaller(sim: Simulator, agent: Agent): (i: number) => Promise<void> {
  const url = `${sim.url}/apidata.php?${new URLSearchParams({ api_key: API_KEY, action: 'updatecustomer' })}`;
  return async (i) => {
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        data: { apikey: API_KEY, action: 'updatecustomer', pkcustomerid: CUSTOMER_ID, phone1: phoneFor(i) },
      }),
      headersTimeout: CALL_TIMEOUT_MS,
      bodyTimeout: CALL_TIMEOUT_MS,
    });
    const body = (await response.body.json()) as { Message?: unknown };
    if (response.statusCode !== 200 || typeof body.Message !== 'string') {
      throw new Error(`direct update failed: HTTP ${response.statusCode} ${JSON.stringify(body)}`);
    }
  };
}

interface PairResult {
  direct: number[];
  server: number[];
  diff: number[];
}

/** Interleaved one by one; which side goes first alternates, so neither always finds a warmer path. */
async function measurePairs(
  direct: (i: number) => Promise<void>,
  server: Server,
  warmup: number,
  pairs: number,
  firstIndex: number,
): Promise<PairResult> {
  const result: PairResult = { direct: [], server: [], diff: [] };
  for (let n = 0; n < warmup + pairs; n++) {
    const i = firstIndex + n;
    let d = 0;
    let s = 0;
    const timeDirect = async () => {
      const t = performance.now();
      await direct(i);
      d = performance.now() - t;
    };
    const timeServer = async () => {
      const t = performance.now();
      await callServer(server, i);
      s = performance.now() - t;
    };
    if (n % 2 === 0) {
      await timeDirect();
      await timeServer();
    } else {
      await timeServer();
      await timeDirect();
    }
    if (n < warmup) continue;
    result.direct.push(d);
    result.server.push(s);
    result.diff.push(s - d);
  }
  return result;
}

/** `total` calls with `concurrency` in flight; returns the wall time in ms. */
async function runConcurrent(
  total: number,
  concurrency: number,
  firstIndex: number,
  call: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const n = next++;
        if (n >= total) return;
        await call(firstIndex + n);
      }
    }),
  );
  return performance.now() - started;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

// ---------------------------------------------------------------------------------------------
// Report.

interface Row {
  figure: string;
  measured: string;
  target: string;
  result: 'PASS' | 'MISS' | 'info';
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 3 : 1)} ms`;
const verdict = (ok: boolean): Row['result'] => (ok ? 'PASS' : 'MISS');

function fsType(path: string): string {
  const names: Record<number, string> = {
    16914836: 'tmpfs',
    61267: 'ext4',
    2035054128: 'overlayfs',
    1481003842: 'xfs',
    2435016766: 'btrfs',
  };
  try {
    const { type } = statfsSync(path);
    return names[type] ?? `fs type 0x${type.toString(16)}`;
  } catch {
    return 'unknown fs';
  }
}

function consoleTable(rows: readonly Row[]): string {
  const header: Row = { figure: 'Figure', measured: 'Measured', target: 'Target', result: 'info' };
  const all = [header, ...rows];
  const w = [
    Math.max(...all.map((r) => r.figure.length)),
    Math.max(...all.map((r) => r.measured.length)),
    Math.max(...all.map((r) => r.target.length)),
  ] as const;
  const line = (r: Row, result: string) =>
    `${r.figure.padEnd(w[0])}  ${r.measured.padEnd(w[1])}  ${r.target.padEnd(w[2])}  ${result}`;
  return [
    line(header, 'Result'),
    '-'.repeat(w[0] + w[1] + w[2] + 14),
    ...rows.map((r) => line(r, r.result === 'info' ? '' : r.result)),
  ].join('\n');
}

/** A markdown table with padded columns, as Biome formats it, so `npm run lint` accepts RESULTS.md. */
function markdownTable(rows: readonly Row[]): string {
  const escapePipes = (text: string) => text.replace(/\|/g, '\\|');
  const cells = [
    ['Figure', 'Measured', 'Target', 'Result'],
    ...rows.map((r) => [
      escapePipes(r.figure),
      escapePipes(r.measured),
      escapePipes(r.target),
      r.result === 'info' ? '' : `**${r.result}**`,
    ]),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const [header, ...body] = cells;
  return [line(header!), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The run.

/** CPU time (user + system) a process has used so far, in ms (Linux clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** What a cold start has to load: dist/index.js and the chunks it imports statically. */
function eagerBundleKb(): string {
  const entry = readFileSync(SERVER_ENTRY, 'utf8');
  const chunks = [...entry.matchAll(/^import[^;]*?from\s*"(\.\/chunks\/[^"]+)"/gm)].map((m) => m[1]!);
  const bytes = [SERVER_ENTRY, ...chunks.map((c) => join(ROOT, 'dist', c))].reduce(
    (sum, file) => sum + statSync(file).size,
    0,
  );
  return `${(bytes / 1024).toFixed(0)} KB in ${1 + chunks.length} file(s)`;
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'build.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${rev} (src/build.mjs modified)` : rev;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const loadBefore = loadavg();
  const rows: Row[] = [];
  const notes: string[] = [];
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  const sim = await startSimulator({ apiKey: API_KEY });
  const sims: Simulator[] = [sim];
  const servers: Server[] = [];
  const log = (message: string) =>
    process.stderr.write(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${message}\n`);
  const p50p99 = (v: number[]) => `${ms(percentile(v, 50))} / ${ms(percentile(v, 99))}`;

  try {
    // 1. Cold start.
    log(`cold start: ${COLD_RUNS} runs each of bare node, solarproof-mcp, server-memory, interleaved`);
    const cold = await measureColdStart(sim);
    const bare = median(cold.bare);
    const ours = median(cold.ours);
    const reference = median(cold.reference);
    const range = (v: number[]) => `${ms(Math.min(...v))}–${ms(Math.max(...v))}`;
    rows.push(
      { figure: "Cold start: bare `node -e ''`, median", measured: ms(bare), target: '', result: 'info' },
      { figure: 'Cold start: solarproof-mcp, median', measured: ms(ours), target: '', result: 'info' },
      {
        figure: 'Cold start: solarproof-mcp ÷ bare node',
        measured: `${(ours / bare).toFixed(2)}×`,
        target: `≤ ${TARGET.coldRatio}×`,
        result: verdict(ours / bare <= TARGET.coldRatio),
      },
      {
        figure: 'Cold start: reference server-memory, median',
        measured: `${ms(reference)} (ours ${(ours / reference).toFixed(2)}×)`,
        target: 'ours faster',
        result: verdict(ours < reference),
      },
    );
    notes.push(
      `Cold-start ranges over ${COLD_RUNS} runs: bare ${range(cold.bare)}, solarproof-mcp ${range(cold.ours)}, server-memory ${range(cold.reference)}. Loaded at start-up: ${eagerBundleKb()}.`,
    );

    // 2. Per-call overhead, audit log off.
    log(`per-call overhead: ${OVERHEAD_WARMUP} warm-up + ${OVERHEAD_PAIRS} interleaved pairs, audit off`);
    const direct = directCaller(sim, agent);
    const server = await startServer(serverEnv(sim));
    servers.push(server);
    let index = 0;
    for (let n = 0; n < OVERHEAD_WARMUP; n++) {
      await direct(index);
      await callServer(server, index++);
    }
    const cpuBefore = cpuMs(server.pid);
    const pairs = await measurePairs(direct, server, 0, OVERHEAD_PAIRS, index);
    const serverCpuPerCall = (cpuMs(server.pid) - cpuBefore) / OVERHEAD_PAIRS;
    index += OVERHEAD_PAIRS;
    const overheadP50 = percentile(pairs.diff, 50);
    const overheadP99 = percentile(pairs.diff, 99);
    rows.push(
      { figure: 'Per call, direct: p50 / p99', measured: p50p99(pairs.direct), target: '', result: 'info' },
      {
        figure: 'Per call, through server (audit off): p50 / p99',
        measured: p50p99(pairs.server),
        target: '',
        result: 'info',
      },
      {
        figure: 'Overhead per call (audit off), p50',
        measured: ms(overheadP50),
        target: `≤ ${TARGET.overheadP50} ms`,
        result: verdict(overheadP50 <= TARGET.overheadP50),
      },
      {
        figure: 'Overhead per call (audit off), p99',
        measured: ms(overheadP99),
        target: `≤ ${TARGET.overheadP99} ms`,
        result: verdict(overheadP99 <= TARGET.overheadP99),
      },
      {
        figure: 'Server CPU (user+sys) per sequential call',
        measured: ms(serverCpuPerCall),
        target: '',
        result: 'info',
      },
    );

    // 3. Throughput at concurrency 16, same server and stand-in, rounds in the order A B B A.
    log(
      `throughput: concurrency ${THROUGHPUT_CONCURRENCY}, ${THROUGHPUT_WARMUP} warm-up + 2 × ${THROUGHPUT_CALLS} calls per side`,
    );
    const viaServer = (i: number) => callServer(server, i);
    await runConcurrent(THROUGHPUT_WARMUP, THROUGHPUT_CONCURRENCY, index, direct);
    await runConcurrent(THROUGHPUT_WARMUP, THROUGHPUT_CONCURRENCY, index, viaServer);
    index += THROUGHPUT_WARMUP;
    let directMs = 0;
    let serverMs = 0;
    let serverConnections = 0;
    for (const side of ['direct', 'server', 'server', 'direct'] as const) {
      if (side === 'direct') {
        directMs += await runConcurrent(THROUGHPUT_CALLS, THROUGHPUT_CONCURRENCY, index, direct);
      } else {
        const before = sim.connectionCount();
        serverMs += await runConcurrent(THROUGHPUT_CALLS, THROUGHPUT_CONCURRENCY, index, viaServer);
        serverConnections += sim.connectionCount() - before;
      }
      index += THROUGHPUT_CALLS;
    }
    const directRate = (2 * THROUGHPUT_CALLS) / (directMs / 1000);
    const serverRate = (2 * THROUGHPUT_CALLS) / (serverMs / 1000);
    rows.push(
      {
        figure: `Throughput, concurrency ${THROUGHPUT_CONCURRENCY}: direct`,
        measured: `${directRate.toFixed(0)} calls/s`,
        target: '',
        result: 'info',
      },
      {
        figure: `Throughput, concurrency ${THROUGHPUT_CONCURRENCY}: through server`,
        measured: `${serverRate.toFixed(0)} calls/s`,
        target: '',
        result: 'info',
      },
      {
        figure: 'Throughput ratio, server ÷ direct',
        measured: (serverRate / directRate).toFixed(2),
        target: `≥ ${TARGET.throughputRatio}`,
        result: verdict(serverRate / directRate >= TARGET.throughputRatio),
      },
    );
    notes.push(
      `Throughput: ${2 * THROUGHPUT_CALLS} calls per side; the server opened ${serverConnections} new connection(s) to the stand-in during its rounds, on top of those kept alive from its warm-up.`,
    );
    await server.close();
    servers.splice(servers.indexOf(server), 1);

    // Audit log on: the same pairs, with every record fdatasync'ed (two per update). Report only.
    const auditPath = join(TMP, 'audit', 'audit.jsonl');
    log(
      `per-call overhead with the audit log ON (${fsType(TMP)}): ${AUDIT_WARMUP} warm-up + ${AUDIT_PAIRS} pairs`,
    );
    const audited = await startServer(serverEnv(sim, auditPath));
    servers.push(audited);
    const auditPairs = await measurePairs(direct, audited, AUDIT_WARMUP, AUDIT_PAIRS, index);
    index += AUDIT_WARMUP + AUDIT_PAIRS;
    const auditLines = readFileSync(auditPath, 'utf8').split('\n').filter(Boolean).length;
    rows.push({
      figure: 'Overhead per call, audit log ON: p50 / p99',
      measured: p50p99(auditPairs.diff),
      target: 'report only',
      result: 'info',
    });
    notes.push(
      `Audit log ON: a temp file on ${fsType(TMP)}, two fdatasync'ed records per update (${auditLines} written); ${AUDIT_PAIRS} pairs after ${AUDIT_WARMUP} warm-up. The overhead targets apply to audit off.`,
    );
    await audited.close();
    servers.splice(servers.indexOf(audited), 1);

    // 4 and 5. A fresh stand-in and a fresh server: connections for the first 50 calls, then memory.
    log(`connections (${CONNECTION_CALLS} sequential calls, fresh stand-in) and memory`);
    const fresh = await startSimulator({ apiKey: API_KEY });
    sims.push(fresh);
    const memServer = await startServer(serverEnv(fresh));
    servers.push(memServer);
    for (let n = 0; n < CONNECTION_CALLS; n++) await callServer(memServer, index++);
    const connections = fresh.connectionCount();
    rows.push({
      figure: `TCP connections for ${CONNECTION_CALLS} sequential calls`,
      measured: String(connections),
      target: String(TARGET.connections),
      result: verdict(connections === TARGET.connections),
    });
    for (let n = CONNECTION_CALLS; n < MEMORY_WARMUP; n++) await callServer(memServer, index++);
    const rssWarm = rssMb(memServer.pid);
    const memoryRound = async () => {
      await runConcurrent(MEMORY_CALLS, MEMORY_CONCURRENCY, index, (i) => callServer(memServer, i));
      index += MEMORY_CALLS;
      return rssMb(memServer.pid);
    };
    const rssAfter = await memoryRound();
    const rssLater = await memoryRound();
    const growth = (rssAfter - rssWarm) / rssWarm;
    const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
    rows.push(
      {
        figure: `Server RSS after ${MEMORY_WARMUP}-call warm-up`,
        measured: `${rssWarm.toFixed(1)} MB`,
        target: `< ${TARGET.rssMb} MB`,
        result: verdict(rssWarm < TARGET.rssMb),
      },
      {
        figure: `Server RSS after ${MEMORY_CALLS} more calls`,
        measured: `${rssAfter.toFixed(1)} MB`,
        target: `< ${TARGET.rssMb} MB`,
        result: verdict(rssAfter < TARGET.rssMb),
      },
      {
        figure: 'Server RSS growth',
        measured: pct(growth),
        target: `< ${TARGET.rssGrowth * 100}%`,
        result: verdict(growth < TARGET.rssGrowth),
      },
      {
        figure: `Server RSS after ${MEMORY_CALLS} further calls (leak check)`,
        measured: `${rssLater.toFixed(1)} MB (${pct((rssLater - rssAfter) / rssAfter)})`,
        target: '',
        result: 'info',
      },
    );
  } finally {
    await Promise.allSettled(servers.map((s) => s.close()));
    await agent.close();
    await Promise.allSettled(sims.map((s) => s.close()));
  }

  const loadAfter = loadavg();
  const elapsedS = (performance.now() - benchStarted) / 1000;
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  const date = new Date().toISOString();
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const machine = `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GB RAM`;
  const revision = gitRevision();

  console.log('');
  console.log(consoleTable(rows));
  console.log('');
  for (const note of notes) console.log(`- ${note}`);
  console.log(
    `- Machine: ${machine}; Node ${process.version}; ${date}; commit ${revision}; load average ${load(loadBefore)} before, ${load(loadAfter)} after; ${elapsedS.toFixed(0)} s.`,
  );

  const markdown = `# solarproof-mcp benchmark results

Written by \`npm run bench\` (bench/run.ts): one run, everything side by side on loopback.

- **Machine:** ${machine}
- **Node:** ${process.version} (${process.platform}-${process.arch})
- **Date:** ${date}
- **Commit:** ${revision}
- **Load average (1/5/15 min):** ${load(loadBefore)} at start, ${load(loadAfter)} at end (other work on the machine skews every figure)
- **Duration:** ${elapsedS.toFixed(0)} s

## Results

${markdownTable(rows)}

${notes.map((note) => `- ${note}`).join('\n')}

## How it was measured

- **Upstream:** the stand-in Solar Proof (\`startSimulator\` from src/sandbox/simulator.ts, with an API key) on 127.0.0.1, running inside the benchmark process.
- **Server:** the bundle, \`node dist/index.js\`, with only PATH, SOLARPROOF_API_KEY, SOLARPROOF_BASE_URL (the stand-in), SOLARPROOF_AUDIT_LOG=off (except on the audit-on line) and SOLARPROOF_LOG_LEVEL=error.
- **Cold start:** from \`spawn()\` to the first line on stdout, the \`initialize\` response (the request is written to stdin right after spawn); bare node is \`node -e ''\` from spawn to exit. One unrecorded warm-up of each, then ${COLD_RUNS} runs of each, interleaved in rotating order; each process is killed and gone before the next starts. The reference is \`@modelcontextprotocol/server-memory\` (MEMORY_FILE_PATH in a temp folder), measured the same way. Medians.
- **Per-call overhead:** \`update_customer {pkcustomerid: ${CUSTOMER_ID}, phone1}\` through the server (SDK \`Client\` over \`StdioClientTransport\`; tools are listed first, as a host does, so the Client also checks each result against the output schema) against the same update POSTed straight to \`/apidata.php?api_key=…&action=updatecustomer\` with undici \`request\` on a keep-alive Agent. ${OVERHEAD_WARMUP} warm-up pairs, then ${OVERHEAD_PAIRS} pairs one call at a time, alternating which side goes first; the overhead is the per-pair difference (server − direct). Audit log off. Server CPU is from /proc/<pid>/stat over the same ${OVERHEAD_PAIRS} calls.
- **Throughput:** ${THROUGHPUT_CONCURRENCY} calls in flight; ${THROUGHPUT_WARMUP} warm-up calls per side, then rounds of ${THROUGHPUT_CALLS} in the order direct, server, server, direct; calls per second of wall time. Same server process as the overhead figures.
- **Connections:** a fresh stand-in and a fresh server process; \`connectionCount()\` after ${CONNECTION_CALLS} sequential calls.
- **Memory:** VmRSS from /proc/<pid>/status of that same process after ${MEMORY_WARMUP} calls (the ${CONNECTION_CALLS} above included), after ${MEMORY_CALLS} more at concurrency ${MEMORY_CONCURRENCY}, and after ${MEMORY_CALLS} further ones (to tell a leak from heap sizing). No forced GC.
- **Statistics:** \`performance.now()\`; percentiles by linear interpolation between closest ranks (type 7, numpy's default).
`;
  writeFileSync(RESULTS_PATH, markdown);
  console.log(`Written to ${RESULTS_PATH}`);
}

function cleanupNow(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of serverPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(TMP, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: gave up after ${DEADLINE_MS / 1000} s\n`);
  cleanupNow();
  process.exit(1);
}, DEADLINE_MS);
watchdog.unref();

main()
  .then(() => {
    cleanupNow();
    process.exit(0);
  })
  .catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    for (const client of clients) void client.close().catch(() => {});
    cleanupNow();
    process.exit(1);
  });
