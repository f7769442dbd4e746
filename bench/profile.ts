/**
 * Where the server's CPU per call goes, beside the same breakdown for its floors: the bare bridge
 * and the minimal SDK server (bench/floors/). Each is bundled as `npm run bench` bundles it but not
 * minified, so every sample can be traced back to its source file; each runs under `node --cpu-prof`
 * against the sandbox Solar Proof, making the same upstream requests (the server's own, read off the
 * sandbox); each sample's self time is put in one group (our source folders, zod, the SDK, undici,
 * Node's own JavaScript, socket writes, V8) and printed in µs per call.
 *
 *   npm run bench:profile              (or -- --calls 5000)
 *
 * The profiler itself slows every side, so the absolute figures are above `npm run bench`'s; the
 * split between groups, and between sides, is what this is for. A report, not a test.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { build } from 'esbuild';
import { bundleOptions } from '../scripts/bundle-options.mjs';
import { TOOLS as CATALOG, describeTool } from '../src/tools/catalog.js';
import type { Plan } from './floors/upstream.js';
import { cpuMs } from './lib.js';
import { type ObservedSandbox, startObservedSandbox } from './observed-sandbox.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out', 'profile');
const API_KEY = 'bench_k3y-7f3Qz&x=1';
const TOOLS = ['update_customer', 'get_customer'] as const;
type ToolName = (typeof TOOLS)[number];
const flag = process.argv.indexOf('--calls');
const CALLS = flag > 0 ? Number(process.argv[flag + 1]) : 3_000;
const WARMUP = 500;
const SAMPLE_US = 100;

let serial = 0;
function argsFor(tool: ToolName): Record<string, unknown> {
  return tool === 'update_customer'
    ? { pkcustomerid: 79461, phone1: `04${String(serial++ % 100_000_000).padStart(8, '0')}` }
    : { email: 'john.smith@example.com' };
}

/** Unminified bundles: ours with its converted tool list, as build.mjs makes it, and both floors. */
async function bundles(): Promise<Record<string, string>> {
  rmSync(OUT, { recursive: true, force: true });
  const options = { ...bundleOptions, minify: false };
  await build({
    ...options,
    entryPoints: [join(ROOT, 'src', 'index.ts')],
    outdir: join(OUT, 'server'),
    define: { __SOLARPROOF_TOOL_LIST__: JSON.stringify(JSON.stringify(CATALOG.map(describeTool))) },
  });
  await build({
    ...options,
    entryPoints: ['minimal-sdk-server', 'bare-bridge'].map((name) =>
      join(ROOT, 'bench', 'floors', `${name}.ts`),
    ),
    outdir: join(OUT, 'floors'),
  });
  return {
    'bare bridge': join(OUT, 'floors', 'bare-bridge.js'),
    'minimal SDK server': join(OUT, 'floors', 'minimal-sdk-server.js'),
    'solarproof-mcp': join(OUT, 'server', 'index.js'),
  };
}

interface Side {
  label: string;
  client: Client;
  pid: number;
  profileDir: string;
  tools: string[];
}

async function start(label: string, entry: string, env: Record<string, string>): Promise<Side> {
  const profileDir = join(OUT, 'cpuprofile', label.replaceAll(' ', '-'));
  mkdirSync(profileDir, { recursive: true });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-interval=${SAMPLE_US}`, entry],
    env,
    stderr: 'inherit',
  });
  const client = new Client({ name: 'solarproof-bench', version: '1.0.0' });
  await client.connect(transport);
  const listed = await client.request({ method: 'tools/list' }, ListToolsResultSchema);
  if (transport.pid === null) throw new Error(`${label}: no pid`);
  return { label, client, pid: transport.pid, profileDir, tools: listed.tools.map((tool) => tool.name) };
}

async function call(side: Side, tool: ToolName): Promise<void> {
  const result = await side.client.callTool({ name: tool, arguments: argsFor(tool) });
  if (result.isError || (result.structuredContent as { ok?: unknown } | undefined)?.ok !== true) {
    throw new Error(`${side.label}: ${tool} failed: ${JSON.stringify(result).slice(0, 300)}`);
  }
}

/** The server's own requests for one call of each tool: the plan the floors replay. */
async function readPlan(sandbox: ObservedSandbox, server: Side): Promise<Plan> {
  const plan: Plan = {};
  for (const tool of TOOLS) {
    await call(server, tool);
    sandbox.requests.length = 0;
    await call(server, tool);
    plan[tool] = sandbox.requests.map((request) => {
      const { api_key: _key, ...query } = request.query;
      return { method: request.method as 'GET' | 'POST' | 'PUT', query, body: request.hasBody };
    });
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// The profile: each sample's self time, grouped.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** esbuild's unminified output marks where each source file starts with a `// path` line. */
const sourceStarts = new Map<string, Array<[number, string]>>();
function sourceOf(url: string, line: number): string {
  let starts = sourceStarts.get(url);
  if (!starts) {
    starts = [];
    const text = readFileSync(fileURLToPath(url), 'utf8').split('\n');
    for (const [index, content] of text.entries()) {
      const match = /^\/\/ ((?:src|bench|node_modules)\/\S+)$/.exec(content);
      if (match?.[1]) starts.push([index, match[1]]);
    }
    sourceStarts.set(url, starts);
  }
  let source = '';
  for (const [start, path] of starts) {
    if (start > line) break;
    source = path;
  }
  return source;
}

const WRITES = /^(?:writeLatin1String|writeUtf8String|writeAsciiString|writeBuffer|writev)$/;

function groupOf(frame: ProfileNode['callFrame']): string | undefined {
  const { functionName: name, url } = frame;
  if (!url) {
    if (name === '(idle)') return undefined;
    if (name === '(garbage collector)') return 'V8: garbage collection (main thread)';
    if (name === '(program)') return 'V8: (program): compiling, inline caches, runtime';
    if (WRITES.test(name)) return 'system calls: socket and pipe writes';
    if (name === 'parse' || name === 'stringify') return 'JSON.parse / JSON.stringify';
    if (name.startsWith('RegExp:')) return 'regular expressions';
    // zod 4 compiles object schemas with new Function: code with no file.
    return 'code with no file (zod’s compiled parsers), other built-ins';
  }
  if (url.startsWith('node:')) return 'Node’s JavaScript: streams, events, timers, URL, AbortSignal';
  // undici parses HTTP with llhttp compiled to WebAssembly.
  if (url.startsWith('wasm:')) return 'undici';
  if (!url.startsWith('file:')) return 'other';
  const source = sourceOf(url, frame.lineNumber);
  if (source.startsWith('src/')) {
    const [, folder] = source.split('/');
    return `ours: src/${folder?.endsWith('.ts') ? folder.slice(0, -3) : `${folder}/`}`;
  }
  if (source.includes('node_modules/zod/')) return 'zod';
  if (source.includes('node_modules/@modelcontextprotocol/')) return 'MCP SDK';
  if (source.includes('node_modules/undici/')) return 'undici';
  if (source.startsWith('bench/')) return 'the floor’s own code';
  return 'other';
}

function breakdown(profileDir: string, calls: number): Map<string, number> {
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile in ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const usPerSample = (profile.endTime - profile.startTime) / profile.samples.length;
  const groups = new Map<string, number>();
  for (const id of profile.samples) {
    const node = nodes.get(id);
    const group = node && groupOf(node.callFrame);
    if (group) groups.set(group, (groups.get(group) ?? 0) + usPerSample / calls);
  }
  return groups;
}

async function main(): Promise<void> {
  const entries = await bundles();
  const sandbox = await startObservedSandbox({ apiKey: API_KEY });
  const env = {
    PATH: process.env.PATH ?? '',
    SOLARPROOF_API_KEY: API_KEY,
    SOLARPROOF_BASE_URL: sandbox.url,
    SOLARPROOF_AUDIT_LOG: 'off',
    SOLARPROOF_LOG_LEVEL: 'error',
  };
  const planner = await start('planner', entries['solarproof-mcp'] as string, env);
  const plan = await readPlan(sandbox, planner);
  await planner.client.close();

  const report: string[] = [];
  for (const tool of TOOLS) {
    const columns: Array<{ label: string; groups: Map<string, number>; cpuUs: number }> = [];
    for (const [label, entry] of Object.entries(entries)) {
      const side = await start(`${label} ${tool}`, entry, { ...env, BENCH_PLAN: JSON.stringify(plan) });
      if (!side.tools.includes(tool)) {
        await side.client.close();
        continue;
      }
      for (let n = 0; n < WARMUP; n++) await call(side, tool);
      const before = cpuMs(side.pid);
      for (let n = 0; n < CALLS; n++) await call(side, tool);
      const cpuUs = ((cpuMs(side.pid) - before) * 1000) / CALLS;
      await side.client.close();
      // The profile covers the warm-up and start-up too; both are small beside the calls.
      columns.push({ label, groups: breakdown(side.profileDir, CALLS + WARMUP), cpuUs });
    }
    const ours = columns.at(-1) as (typeof columns)[number];
    const minimal = columns.find((column) => column.label === 'minimal SDK server');
    const groups = [...new Set(columns.flatMap((column) => [...column.groups.keys()]))].sort(
      (a, b) => (ours.groups.get(b) ?? 0) - (ours.groups.get(a) ?? 0),
    );
    const floor = minimal ?? (columns[0] as (typeof columns)[number]);
    const us = (value: number) => String(Math.round(value));
    const total = (column: (typeof columns)[number]) =>
      [...column.groups.values()].reduce((a, b) => a + b, 0);
    report.push(
      `\n${tool}: main-thread self time per call, µs (${CALLS} calls after ${WARMUP}, sampled every ${SAMPLE_US} µs)`,
      `| Group | ${columns.map((column) => column.label).join(' | ')} | ours − ${minimal ? 'minimal' : 'bridge'} |`,
      `| --- | ${columns.map(() => '---:').join(' | ')} | ---: |`,
      ...groups.map(
        (group) =>
          `| ${group} | ${columns.map((column) => us(column.groups.get(group) ?? 0)).join(' | ')} | ${us((ours.groups.get(group) ?? 0) - (floor.groups.get(group) ?? 0))} |`,
      ),
      `| **main thread, sampled** | ${columns.map((column) => `**${us(total(column))}**`).join(' | ')} | **${us(total(ours) - total(floor))}** |`,
      `| process CPU (all threads, /proc, under the profiler) | ${columns.map((column) => us(column.cpuUs)).join(' | ')} | ${us(ours.cpuUs - floor.cpuUs)} |`,
    );
  }
  await sandbox.close();
  console.log(report.join('\n'));
}

await main();
