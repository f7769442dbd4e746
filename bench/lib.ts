/**
 * What bench/run.ts is made of: statistics, the processes it starts (tracked so they end with it),
 * reading CPU time, RSS and CPU affinity from /proc and taskset, the one client every MCP server is
 * driven with, and the report table.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type CallToolResult, ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';

export const CALL_TIMEOUT_MS = 30_000;
export const SPAWN_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Statistics.

/** Linear interpolation between closest ranks (Hyndman & Fan type 7, numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const a = sorted[low]!;
  const b = sorted[Math.ceil(rank)]!;
  return a + (b - a) * (rank - low);
}

export const median = (values: readonly number[]) => percentile(values, 50);

// ---------------------------------------------------------------------------------------------
// Processes: everything started is tracked so it is ended on the way out, whatever happens.

const children = new Set<ChildProcess>();
const mcpProcesses = new Set<McpProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function waitForExit(child: ChildProcess, timeoutMs = 3_000): Promise<void> {
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

/** Kills whatever is still running; for the way out. */
export function killEverything(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const proc of mcpProcesses) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, every thread of the process) used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After the command name: field 14 (utime) and 15 (stime) of proc(5) are indexes 11 and 12 here.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

export const CPU_TICK_MS = 1000 / CLOCK_TICKS_PER_S;

export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

/** The CPU affinity mask of a process (hex, as taskset prints it), or undefined without taskset. */
export function affinityMask(pid: number): string | undefined {
  try {
    const out = execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' });
    return /:\s*([0-9a-f]+)\s*$/i.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** Every thread of the process (and threads it starts later) onto these CPUs: a list ("1") or a mask. */
export function pin(pid: number, cpus: { list: string } | { mask: string }): void {
  const args =
    'list' in cpus ? ['-a', '-p', '-c', cpus.list, String(pid)] : ['-a', '-p', cpus.mask, String(pid)];
  execFileSync('taskset', args, { stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------------
// The one client: every MCP server in a comparison is driven by this code.

export interface McpProcess {
  label: string;
  client: Client;
  pid: number;
  /** Tool names from the first tools/list. */
  tools: string[];
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Spawns `node ...nodeArgs entry` with exactly `env` and connects the SDK Client over stdio. tools/list is asked
 * once, as a host does, through a plain request: the Client then checks no result against an output
 * schema, for any server, so its work per call is the same whichever server answers (the bridge
 * declares no output schema).
 */
export async function startMcp(
  label: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<McpProcess> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...nodeArgs, entry],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'solarproof-bench', version: '1.0.0' });
  await client.connect(transport, { timeout: SPAWN_TIMEOUT_MS });
  const pid = transport.pid;
  if (pid === null) throw new Error(`${label}: no pid`);
  const listed = await client.request({ method: 'tools/list' }, ListToolsResultSchema, {
    timeout: CALL_TIMEOUT_MS,
  });
  const proc: McpProcess = {
    label,
    client,
    pid,
    tools: listed.tools.map((tool) => tool.name),
    stderr: () => stderr,
    close: async () => {
      mcpProcesses.delete(proc);
      await client.close();
    },
  };
  mcpProcesses.add(proc);
  return proc;
}

/** One tools/call; throws unless the result is a success (ok: true). */
export async function callTool(
  proc: McpProcess,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const result = (await proc.client.callTool({ name, arguments: args }, undefined, {
    timeout: CALL_TIMEOUT_MS,
  })) as CallToolResult;
  const structured = result.structuredContent as { ok?: unknown } | undefined;
  if (result.isError || structured?.ok !== true) {
    throw new Error(
      `${proc.label}: ${name} failed: ${JSON.stringify(result).slice(0, 500)}\n${proc.stderr().slice(-2_000)}`,
    );
  }
  return result;
}

/** `total` calls with `concurrency` in flight; the wall time and each call's latency, in ms. */
export async function runConcurrent(
  total: number,
  concurrency: number,
  call: () => Promise<unknown>,
): Promise<{ wallMs: number; latencies: number[] }> {
  let started = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { wallMs: performance.now() - t0, latencies };
}

// ---------------------------------------------------------------------------------------------
// The report.

export interface Row {
  figure: string;
  measured: string;
  target: string;
  result: 'PASS' | 'MISS' | 'info';
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 3 : 1)} ms`;
export const mb = (value: number) => `${value.toFixed(1)} MB`;
export const verdict = (ok: boolean): Row['result'] => (ok ? 'PASS' : 'MISS');
export const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;

export function consoleTable(rows: readonly Row[]): string {
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

/** A markdown table with padded columns, as Biome formats it. */
export function markdownTable(rows: readonly Row[]): string {
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
