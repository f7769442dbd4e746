/**
 * The fault soak, shared by `npm run soak` (test/fuzz/soak.ts, 10,000 calls) and the short version in
 * the test suite (test/fuzz/fault-soak.test.ts, 1,000 calls): the built server process, driven by the SDK Client
 * at a fixed concurrency, against the stand-in Solar Proof with about 5% of its answers faulty.
 *
 * Checked: every call gets exactly one result (one JSON-RPC response per request id); every ok=true
 * result corresponds to an update the stand-in applied (each call carries a unique phone2); every
 * result is well-formed; the server still answers at the end; the audit log parses line by line and
 * holds one update_requested (and one update_completed) per call; the key appears nowhere.
 * Measured: server RSS at 10% of the calls and at the end, throughput, latency, outcomes, faults.
 *
 * Plain TypeScript (no vitest) so it runs under tsx; problems are collected as `violations`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { seedCustomers } from '../../src/sandbox/customers.js';
import { SENTINEL_KEY, SERVER_ENTRY, startStandIn } from '../helpers/harness.js';
import type { RecordedRequest, StandIn } from '../helpers/stand-in.js';
import { isRecord, keyLeakIn, resultProblems } from './support.js';

export interface SoakOptions {
  calls: number;
  concurrency: number;
  /** Share of upstream answers that are faulty; 0.05 by default. */
  faultRate?: number;
  /** SOLARPROOF_TIMEOUT_MS for the server: stalls end at this deadline. */
  timeoutMs?: number;
  /** Where the audit log goes; a fresh temporary file by default (kept only on violations). */
  auditPath?: string;
  /** Progress lines (every 10%); silent by default. */
  log?: (line: string) => void;
  /** Random source, for reproducible fault sequences. */
  random?: () => number;
}

export interface SoakReport {
  calls: number;
  concurrency: number;
  durationMs: number;
  callsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  ok: number;
  failed: number;
  codes: Record<string, number>;
  faults: Record<string, number>;
  upstreamRequests: number;
  applied: number;
  rssKb: {
    start: number | undefined;
    atTenPercent: number | undefined;
    atHalf: number | undefined;
    end: number | undefined;
    peak: number;
  };
  audit: { path: string; lines: number; requested: number; completed: number };
  stillAnswering: boolean;
  violations: string[];
}

const CUSTOMERS = [79461, 80125, 81307, 82550]; // every unlocked seeded customer
const SEEDED_PHONE2 = new Set(seedCustomers().map((c) => c.phone2));

type Fault =
  | 'reset-mid-body'
  | 'applied-then-reset-mid-body'
  | 'reset-before-headers'
  | 'stall'
  | 'applied-then-stall'
  | 'http-500-update-failed'
  | 'http-503'
  | 'garbage-200';
const FAULTS: Fault[] = [
  'reset-mid-body',
  'applied-then-reset-mid-body',
  'reset-before-headers',
  'stall',
  'applied-then-stall',
  'http-500-update-failed',
  'http-503',
  'garbage-200',
];

/** The customer number the call carries, unique per call, and a valid phone (10 digits). */
export function phoneFor(call: number): string {
  return `09${String(call).padStart(8, '0')}`;
}

export function rssKb(pid: number | null | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const faultRate = options.faultRate ?? 0.05;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});
  const auditPath = options.auditPath ?? join(mkdtempSync(join(tmpdir(), 'solarproof-soak-')), 'audit.jsonl');
  const violations: string[] = [];
  const violation = (text: string) => {
    if (violations.length < 200) violations.push(text);
  };

  // --- the stand-in, with faults -------------------------------------------------------------
  const standIn: StandIn = await startStandIn();
  const applied = new Set<string>();
  const faults: Record<string, number> = {};
  const timers = new Set<NodeJS.Timeout>();
  const apply = (recorded: RecordedRequest) => {
    const data = isRecord(recorded.body) && isRecord(recorded.body.data) ? recorded.body.data : {};
    const customer = standIn.customers.get(Number(data.pkcustomerid));
    if (customer && typeof data.phone2 === 'string') {
      customer.phone2 = data.phone2;
      applied.add(data.phone2);
    }
  };
  const bodyText = '{"Message":"Customer updated successfully!","CustomerId":"79461"}';
  standIn.setBehaviour((_req: IncomingMessage, res: ServerResponse, recorded) => {
    if (random() >= faultRate) {
      // The contract answers normally; a 200 it sends is an update it applied.
      const data = isRecord(recorded.body) && isRecord(recorded.body.data) ? recorded.body.data : {};
      res.on('finish', () => {
        if (res.statusCode === 200 && typeof data.phone2 === 'string') applied.add(data.phone2);
      });
      return false;
    }
    const fault = FAULTS[Math.floor(random() * FAULTS.length)] as Fault;
    faults[fault] = (faults[fault] ?? 0) + 1;
    switch (fault) {
      case 'reset-mid-body':
      case 'applied-then-reset-mid-body':
        if (fault === 'applied-then-reset-mid-body') apply(recorded);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(bodyText),
        });
        res.write(bodyText.slice(0, 20), () => res.socket?.destroy());
        return true;
      case 'reset-before-headers':
        res.socket?.destroy();
        return true;
      case 'stall':
      case 'applied-then-stall': {
        if (fault === 'applied-then-stall') apply(recorded);
        // Longer than the server's deadline; the server gives up first and closes the connection.
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed && !res.writableEnded) res.socket?.destroy();
        }, timeoutMs * 3);
        timers.add(timer);
        return true;
      }
      case 'http-500-update-failed':
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"code":"UPDATE_FAILED","message":"Customer update failed due to a server error"}');
        return true;
      case 'http-503':
        res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>503 Service Unavailable</h1>');
        return true;
      case 'garbage-200':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(random() < 0.5 ? '{"Message": "Cust' : '\u0000\u00ff<html>');
        return true;
    }
  });

  // --- the server, through the SDK Client -------------------------------------------------------
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY],
    env: {
      PATH: process.env.PATH ?? '',
      SOLARPROOF_API_KEY: SENTINEL_KEY,
      SOLARPROOF_BASE_URL: standIn.url,
      SOLARPROOF_TIMEOUT_MS: String(timeoutMs),
      SOLARPROOF_AUDIT_LOG: auditPath,
      SOLARPROOF_LOG_LEVEL: 'info',
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // Seen before the SDK's own handler: how many responses each request id got.
  const responses = new Map<string, number>();
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('result' in message || 'error' in message) {
      const id = 'id' in message ? JSON.stringify(message.id) : 'none';
      responses.set(id, (responses.get(id) ?? 0) + 1);
    }
  };
  const client = new Client({ name: 'solarproof-soak', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  await client.listTools(); // enables the client's output-schema validation of every result

  const rss = {
    start: rssKb(pid),
    atTenPercent: undefined as number | undefined,
    atHalf: undefined as number | undefined,
    end: undefined as number | undefined,
    peak: 0,
  };
  const sampler = setInterval(() => {
    rss.peak = Math.max(rss.peak, rssKb(pid) ?? 0);
  }, 250);

  // --- the calls ------------------------------------------------------------------------------
  interface Outcome {
    phone: string;
    customer: number;
    ok: boolean | undefined;
    code: string | undefined;
    requestId: string | undefined;
  }
  const outcomes: Array<Outcome | undefined> = new Array(options.calls);
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let completed = 0;
  let next = 0;
  const started = performance.now();

  const worker = async () => {
    for (;;) {
      const call = next++;
      if (call >= options.calls) return;
      const phone = phoneFor(call);
      const customer = CUSTOMERS[call % CUSTOMERS.length] as number;
      const callStarted = performance.now();
      let result: CallToolResult;
      try {
        result = (await client.callTool(
          { name: 'update_customer', arguments: { pkcustomerid: customer, phone2: phone } },
          undefined,
          { timeout: 30_000 },
        )) as CallToolResult;
      } catch (error) {
        violation(`call ${call} threw instead of returning a result: ${String(error)}`);
        outcomes[call] = { phone, customer, ok: undefined, code: 'THREW', requestId: undefined };
        continue;
      } finally {
        latencies.push(performance.now() - callStarted);
      }
      if (outcomes[call] !== undefined) violation(`call ${call} got a second result`);
      const problems = resultProblems(result);
      if (problems.length > 0) violation(`call ${call}: ${problems.join('; ')}`);
      const data = (result.structuredContent ?? {}) as Record<string, unknown>;
      const code = data.ok === true ? 'ok' : String(data.code);
      codes[code] = (codes[code] ?? 0) + 1;
      outcomes[call] = {
        phone,
        customer,
        ok: data.ok === true,
        code,
        requestId: typeof data.requestId === 'string' ? data.requestId : undefined,
      };
      if (data.ok === true) {
        if (!applied.has(phone))
          violation(`call ${call} (phone2 ${phone}) is ok=true but the stand-in never applied it`);
        if (data.customerId !== customer)
          violation(`call ${call}: customerId ${String(data.customerId)}, not ${customer}`);
      } else if (code === 'INTERNAL' || code === 'INVALID_ARGUMENTS' || code === 'THREW') {
        violation(`call ${call}: unexpected ${code}: ${String(data.message)}`);
      }
      completed++;
      if (completed === Math.ceil(options.calls / 10)) rss.atTenPercent = rssKb(pid);
      if (completed === Math.ceil(options.calls / 2)) rss.atHalf = rssKb(pid);
      if (completed % Math.ceil(options.calls / 10) === 0) {
        log(
          `${completed}/${options.calls} calls, ${Math.round((completed * 1000) / (performance.now() - started))}/s, RSS ${rssKb(pid)} kB`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const durationMs = performance.now() - started;
  rss.end = rssKb(pid);
  clearInterval(sampler);

  // --- afterwards: still answering, exactly one response per request ----------------------------
  let stillAnswering = false;
  try {
    standIn.setBehaviour(undefined);
    const final = (await client.callTool({
      name: 'update_customer',
      arguments: { pkcustomerid: 79461, phone2: '0298765432' },
    })) as CallToolResult;
    stillAnswering = (final.structuredContent as Record<string, unknown> | undefined)?.ok === true;
    await client.listTools();
  } catch (error) {
    violation(`the server no longer answers: ${String(error)}`);
  }
  if (!stillAnswering) violation('the final call did not succeed');
  for (const [id, count] of responses) if (count !== 1) violation(`request id ${id} got ${count} responses`);
  // initialize + 2 × tools/list + the calls + the final call
  const expectedResponses = options.calls + 4;
  if (responses.size !== expectedResponses) {
    violation(`${responses.size} request ids were answered, expected ${expectedResponses}`);
  }
  const missing = outcomes.filter((o) => o === undefined).length;
  if (missing > 0) violation(`${missing} calls have no result`);

  await client.close();
  for (const timer of timers) clearTimeout(timer);
  const upstreamRequests = standIn.requests.length;
  // No phantom writes: each customer ends with its seeded phone2, the final call's, or an applied one.
  for (const id of CUSTOMERS) {
    const phone = standIn.customers.get(id)?.phone2 ?? '';
    if (!applied.has(phone) && phone !== '0298765432' && !SEEDED_PHONE2.has(phone)) {
      violation(`customer ${id} ends with phone2 ${JSON.stringify(phone)}, which no applied update carried`);
    }
  }
  await standIn.close();

  // --- the audit log ----------------------------------------------------------------------------
  const audit = { path: auditPath, lines: 0, requested: 0, completed: 0 };
  const text = existsSync(auditPath) ? readFileSync(auditPath, 'utf8') : '';
  if (text.length > 0 && !text.endsWith('\n')) violation('the audit log ends with a torn line');
  const requestedByPhone = new Map<string, Array<Record<string, any>>>();
  const completedById = new Map<string, Array<Record<string, any>>>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line.length === 0) continue;
    audit.lines++;
    let record: Record<string, any>;
    try {
      record = JSON.parse(line) as Record<string, any>;
    } catch {
      violation(`audit line ${index + 1} is not JSON: ${line.slice(0, 120)}`);
      continue;
    }
    if (record.event === 'update_requested') {
      audit.requested++;
      const phone = String(record.fields?.phone2);
      requestedByPhone.set(phone, [...(requestedByPhone.get(phone) ?? []), record]);
    } else if (record.event === 'update_completed') {
      audit.completed++;
      const id = String(record.requestId);
      completedById.set(id, [...(completedById.get(id) ?? []), record]);
    } else {
      violation(`audit line ${index + 1} has an unknown event ${String(record.event)}`);
    }
  }
  for (const [call, outcome] of outcomes.entries()) {
    if (!outcome) continue;
    const requested = requestedByPhone.get(outcome.phone) ?? [];
    if (requested.length !== 1) {
      violation(`call ${call} (phone2 ${outcome.phone}) has ${requested.length} update_requested records`);
      continue;
    }
    const record = requested[0] as Record<string, any>;
    if (record.customerId !== outcome.customer)
      violation(`call ${call}: audit customerId ${record.customerId}`);
    if (outcome.requestId !== undefined && record.requestId !== outcome.requestId) {
      violation(`call ${call}: result requestId ${outcome.requestId} but audit ${record.requestId}`);
    }
    const done = completedById.get(String(record.requestId)) ?? [];
    if (done.length !== 1) violation(`call ${call} has ${done.length} update_completed records`);
    else if ((done[0]?.outcome === 'success') !== (outcome.ok === true)) {
      violation(`call ${call}: audit outcome ${done[0]?.outcome} but result ok=${String(outcome.ok)}`);
    }
  }
  if (audit.requested !== options.calls + 1) {
    violation(`${audit.requested} update_requested records for ${options.calls + 1} calls`);
  }

  // --- the key, nowhere -----------------------------------------------------------------------
  for (const [where, content] of [
    ['stderr', stderr],
    ['audit log', text],
  ] as const) {
    const leak = keyLeakIn(content);
    if (leak) violation(`the key leaked into the ${where} (${JSON.stringify(leak)})`);
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const ok = outcomes.filter((o) => o?.ok === true).length;
  const report: SoakReport = {
    calls: options.calls,
    concurrency: options.concurrency,
    durationMs: Math.round(durationMs),
    callsPerSecond: Math.round((options.calls * 1000) / durationMs),
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: Math.round(sorted.at(-1) ?? 0),
    },
    ok,
    failed: options.calls - ok,
    codes,
    faults,
    upstreamRequests,
    applied: applied.size,
    rssKb: rss,
    audit,
    stillAnswering,
    violations,
  };
  if (violations.length === 0 && options.auditPath === undefined)
    rmSync(dirname(auditPath), { recursive: true, force: true });
  return report;
}

/**
 * Memory is flat when the second half of the run did not grow it much (end within 25% or 32 MB of
 * the half-way RSS: V8 sizes its heap during the first few thousand calls, so the 10% figure is
 * still warming up), and the whole run stayed within 2x (or 96 MB) of the 10% figure.
 * Reference, 50,000 calls: 133 MB at 10%, then 122-128 MB to the end.
 */
export function memoryFlat(report: SoakReport): boolean {
  const { atTenPercent, atHalf, end } = report.rssKb;
  if (atTenPercent === undefined || atHalf === undefined || end === undefined) return false;
  const secondHalf = end <= Math.max(atHalf * 1.25, atHalf + 32 * 1024);
  const overall = end <= Math.max(atTenPercent * 2, atTenPercent + 96 * 1024);
  return secondHalf && overall;
}

export function formatReport(report: SoakReport): string {
  const mb = (kb: number | undefined) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
  return [
    `calls: ${report.calls} at concurrency ${report.concurrency} in ${(report.durationMs / 1000).toFixed(1)} s (${report.callsPerSecond} calls/s)`,
    `latency: p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`,
    `results: ${report.ok} ok, ${report.failed} failed; by code ${JSON.stringify(report.codes)}`,
    `upstream: ${report.upstreamRequests} requests, ${report.applied} updates applied; faults injected ${JSON.stringify(report.faults)}`,
    `server RSS: start ${mb(report.rssKb.start)}, at 10% ${mb(report.rssKb.atTenPercent)}, at 50% ${mb(report.rssKb.atHalf)}, end ${mb(report.rssKb.end)}, peak ${mb(report.rssKb.peak)} (${memoryFlat(report) ? 'flat' : 'GROWING'})`,
    `audit log: ${report.audit.lines} lines, ${report.audit.requested} update_requested, ${report.audit.completed} update_completed`,
    `still answering at the end: ${report.stillAnswering}`,
    `violations: ${report.violations.length}${report.violations.length ? `\n  ${report.violations.slice(0, 20).join('\n  ')}` : ''}`,
  ].join('\n');
}
