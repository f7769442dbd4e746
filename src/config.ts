import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LogLevel } from './logger.js';
import { LOG_LEVELS } from './logger.js';
import { parseSandboxFaults, type SandboxFault } from './sandbox/faults.js';

/** Everything the server needs to know about its surroundings, read once at start-up. */
export interface Config {
  /** Absent when the user has not configured a key: the server still starts so its tools can be listed. */
  readonly apiKey: string | undefined;
  readonly baseUrl: URL;
  readonly httpMethod: 'POST' | 'PUT';
  /** One deadline for a whole tool call: connecting, headers, body and any retries. */
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** find_customers reads at most this many Get All Customers pages (50 customers each). */
  readonly scanMaxPages: number;
  /** find_customers' whole scan ends by this deadline, with what it has read marked incomplete. */
  readonly scanTimeoutMs: number;
  /** How long a scanned customer list answers searches; 0 turns the cache off. */
  readonly cacheTtlSeconds: number;
  readonly logLevel: LogLevel;
  /** Run against the built-in sandbox instead of the real Solar Proof. */
  readonly sandbox: boolean;
  /** The faults the user switched on in the sandbox (SOLARPROOF_SANDBOX_FAULTS); empty in live mode. */
  readonly sandboxFaults: readonly SandboxFault[];
  /** Where audit records are appended; undefined when SOLARPROOF_AUDIT_LOG=off. */
  readonly auditLog: string | undefined;
  /**
   * Problems that make live calls impossible. They are reported on every tool call as a
   * CONFIGURATION error instead of crashing at start-up, because a host such as Claude Desktop only
   * shows "server disconnected" for a crash, while a tool error reaches the user with its hint.
   */
  readonly problems: readonly string[];
}

export const DEFAULT_BASE_URL = 'https://solarproof.com.au';
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
export const DEFAULT_SCAN_MAX_PAGES = 200;
/** Under the 60 s after which MCP clients commonly give up on a call. */
export const DEFAULT_SCAN_TIMEOUT_MS = 45_000;
export const DEFAULT_CACHE_TTL_SECONDS = 300;

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env, argv: readonly string[] = process.argv.slice(2)): Config {
  const problems: string[] = [];
  const sandbox = argv.includes('--sandbox') || isTruthy(env.SOLARPROOF_SANDBOX);

  const apiKey = nonEmpty(env.SOLARPROOF_API_KEY);

  let baseUrl = new URL(DEFAULT_BASE_URL);
  const rawBase = nonEmpty(env.SOLARPROOF_BASE_URL);
  // In sandbox mode the base URL is the sandbox's, so a stale live setting is no problem.
  if (rawBase !== undefined && !sandbox) {
    const checked = checkBaseUrl(rawBase);
    if (typeof checked === 'string') problems.push(checked);
    else baseUrl = checked;
  }

  let httpMethod: Config['httpMethod'] = 'POST';
  const rawMethod = nonEmpty(env.SOLARPROOF_HTTP_METHOD)?.toUpperCase();
  if (rawMethod === 'POST' || rawMethod === 'PUT') httpMethod = rawMethod;
  else if (rawMethod !== undefined) {
    problems.push(`SOLARPROOF_HTTP_METHOD must be POST or PUT, not "${truncate(rawMethod)}".`);
  }

  const timeoutMs = positiveInt(env, 'SOLARPROOF_TIMEOUT_MS', DEFAULT_TIMEOUT_MS, 100, 600_000, problems);
  const maxResponseBytes = positiveInt(
    env,
    'SOLARPROOF_MAX_RESPONSE_BYTES',
    DEFAULT_MAX_RESPONSE_BYTES,
    1024,
    64 * 1024 * 1024,
    problems,
  );

  const scanMaxPages = positiveInt(
    env,
    'SOLARPROOF_SCAN_MAX_PAGES',
    DEFAULT_SCAN_MAX_PAGES,
    1,
    10_000,
    problems,
  );
  const scanTimeoutMs = positiveInt(
    env,
    'SOLARPROOF_SCAN_TIMEOUT_MS',
    DEFAULT_SCAN_TIMEOUT_MS,
    100,
    600_000,
    problems,
  );
  const cacheTtlSeconds = positiveInt(
    env,
    'SOLARPROOF_CACHE_TTL_SECONDS',
    DEFAULT_CACHE_TTL_SECONDS,
    0,
    86_400,
    problems,
  );

  let logLevel: LogLevel = 'info';
  const rawLevel = nonEmpty(env.SOLARPROOF_LOG_LEVEL)?.toLowerCase();
  if (rawLevel !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(rawLevel)) logLevel = rawLevel as LogLevel;
    else problems.push(`SOLARPROOF_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  }

  // Read only in sandbox mode: in live mode they could not apply, so a leftover setting is no problem.
  const sandboxFaults: SandboxFault[] = [];
  if (sandbox) {
    const parsed = parseSandboxFaults(env.SOLARPROOF_SANDBOX_FAULTS);
    sandboxFaults.push(...parsed.faults);
    problems.push(...parsed.problems);
  }

  const rawAudit = nonEmpty(env.SOLARPROOF_AUDIT_LOG);
  // Sandbox records have their own default file: their ids may exist live, and must never be undone there.
  const auditLog =
    rawAudit?.toLowerCase() === 'off' ? undefined : (rawAudit ?? defaultAuditPath(env, sandbox));

  return {
    apiKey,
    baseUrl,
    httpMethod,
    timeoutMs,
    maxResponseBytes,
    scanMaxPages,
    scanTimeoutMs,
    cacheTtlSeconds,
    logLevel,
    sandbox,
    sandboxFaults,
    auditLog,
    problems,
  };
}

function isTruthy(value: string | undefined): boolean {
  return ['1', 'true', 'yes', 'on'].includes(value?.trim().toLowerCase() ?? '');
}

/**
 * $XDG_STATE_HOME (or ~/.local/state) on Unix, %LOCALAPPDATA% on Windows, under solarproof-mcp/:
 * audit.jsonl, or sandbox-audit.jsonl in sandbox mode.
 */
function defaultAuditPath(
  env: Readonly<Record<string, string | undefined>> = process.env,
  sandbox = false,
): string {
  const file = sandbox ? 'sandbox-audit.jsonl' : 'audit.jsonl';
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'solarproof-mcp', file);
  const stateHome = env.XDG_STATE_HOME?.startsWith('/')
    ? env.XDG_STATE_HOME
    : join(homedir(), '.local', 'state');
  return join(stateHome, 'solarproof-mcp', file);
}

/**
 * The key travels in the query string, so plain http would send it across the network in clear.
 * Loopback is the one place http is harmless (tests, a local proxy).
 */
export function checkBaseUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `SOLARPROOF_BASE_URL is not a valid URL: "${truncate(raw)}".`;
  }
  if (url.username || url.password) {
    return 'SOLARPROOF_BASE_URL must not contain a user name or password.';
  }
  if (url.search || url.hash) {
    return 'SOLARPROOF_BASE_URL must not contain a query string or fragment.';
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'http:') {
    return `SOLARPROOF_BASE_URL uses plain http for ${url.hostname}; the API key would cross the network in clear. Use https (http is accepted only for loopback hosts).`;
  }
  return `SOLARPROOF_BASE_URL must be an https URL, not ${url.protocol}.`;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // Only the literal name: "*.localhost" may be resolved through DNS, which could point anywhere.
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function positiveInt(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  // Plain decimal digits only: Number() also reads "1e3", "0x3e8", "0b1111101000", "1000.0" and
  // "+1000", which the README does not allow.
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, not "${truncate(raw)}".`);
    return fallback;
  }
  return value;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
