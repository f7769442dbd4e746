/**
 * The settings of HTTP mode, read from SOLARPROOF_HTTP_* (and --host/--port), and the pure checks
 * every request goes through: which Host and Origin headers are ours, and whether a bearer token
 * matches. Unlike the Solar Proof settings, a wrong HTTP setting stops the start-up: a service
 * manager shows the message, and serving on the wrong terms would be worse than not serving.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { isLoopbackHost } from '../config.js';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 3000;
/** Tool arguments are a few hundred bytes; this leaves room for any client's envelope. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_IN_FLIGHT = 64;
/** A token shorter than this is refused: it could be guessed. */
const MIN_TOKEN_LENGTH = 16;

/** The names by which the machine itself is reached; allowed in Host and Origin on the bound port. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

export interface HostEntry {
  /** Lower case; IPv6 in brackets, as in a Host header. */
  name: string;
  /** undefined: any port. */
  port?: number;
}

export interface HttpSettings {
  host: string;
  port: number;
  /** undefined: no bearer token is asked for (only allowed on loopback). */
  token: string | undefined;
  /** Allowed besides the loopback names on the bound port. */
  allowedHosts: readonly HostEntry[];
  /** Allowed besides the loopback origins on the bound port; each a URL origin. */
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
  /** JSON-RPC requests being served at once; past it, 503 with Retry-After. */
  maxInFlight: number;
  /** Lower case; when set, each request brings its own Solar Proof key in this header. */
  keyHeader: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export type HttpSettingsResult = { settings: HttpSettings } | { problems: string[] };

/** Headers a key must not travel in: they mean something else to every proxy and client. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'host',
  'origin',
  'content-type',
  'content-length',
  'cookie',
  'accept',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

export function loadHttpSettings(env: Env, flags: { host?: string; port?: string } = {}): HttpSettingsResult {
  const problems: string[] = [];
  const host = nonEmpty(flags.host) ?? nonEmpty(env.SOLARPROOF_HTTP_HOST) ?? DEFAULT_HTTP_HOST;
  const portSource = flags.port !== undefined ? '--port' : 'SOLARPROOF_HTTP_PORT';
  const port = wholeNumber(
    nonEmpty(flags.port) ?? nonEmpty(env.SOLARPROOF_HTTP_PORT),
    portSource,
    DEFAULT_HTTP_PORT,
    0,
    65_535,
    problems,
  );

  const token = nonEmpty(env.SOLARPROOF_HTTP_TOKEN);
  if (token !== undefined) {
    if (token.length < MIN_TOKEN_LENGTH) {
      problems.push(
        `SOLARPROOF_HTTP_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters, which could be guessed; use a random one, e.g. from \`openssl rand -hex 32\`.`,
      );
    } else if (!/^[\x21-\x7e]+$/.test(token)) {
      problems.push(
        'SOLARPROOF_HTTP_TOKEN may hold only visible ASCII characters (no spaces): it travels in an HTTP header.',
      );
    }
  }
  if (token === undefined && !isLoopbackHost(host)) {
    problems.push(
      `SOLARPROOF_HTTP_HOST is ${host}, which other machines can reach, but SOLARPROOF_HTTP_TOKEN is not set, so anyone who can reach it could change customers. Set SOLARPROOF_HTTP_TOKEN to a random secret (e.g. \`openssl rand -hex 32\`) that clients send as "Authorization: Bearer <token>", or listen on 127.0.0.1.`,
    );
  }

  const allowedHosts: HostEntry[] = [];
  for (const raw of list(env.SOLARPROOF_HTTP_ALLOWED_HOSTS)) {
    const entry = parseHostHeader(raw);
    if (entry) allowedHosts.push(entry);
    else
      problems.push(
        `SOLARPROOF_HTTP_ALLOWED_HOSTS: "${truncate(raw)}" is not a host name, optionally with :port.`,
      );
  }
  const allowedOrigins: string[] = [];
  for (const raw of list(env.SOLARPROOF_HTTP_ALLOWED_ORIGINS)) {
    const origin = parseOrigin(raw);
    if (origin) allowedOrigins.push(origin);
    else
      problems.push(
        `SOLARPROOF_HTTP_ALLOWED_ORIGINS: "${truncate(raw)}" is not an origin such as https://app.example.com.`,
      );
  }

  const maxBodyBytes = wholeNumber(
    nonEmpty(env.SOLARPROOF_HTTP_MAX_BODY_BYTES),
    'SOLARPROOF_HTTP_MAX_BODY_BYTES',
    DEFAULT_MAX_BODY_BYTES,
    1024,
    64 * 1024 * 1024,
    problems,
  );
  const maxInFlight = wholeNumber(
    nonEmpty(env.SOLARPROOF_HTTP_MAX_IN_FLIGHT),
    'SOLARPROOF_HTTP_MAX_IN_FLIGHT',
    DEFAULT_MAX_IN_FLIGHT,
    1,
    10_000,
    problems,
  );

  const keyHeader = nonEmpty(env.SOLARPROOF_HTTP_KEY_HEADER)?.toLowerCase();
  if (keyHeader !== undefined && (!HEADER_NAME.test(keyHeader) || RESERVED_HEADERS.has(keyHeader))) {
    problems.push(
      `SOLARPROOF_HTTP_KEY_HEADER must be a header name of its own, such as x-solarproof-api-key, not "${truncate(keyHeader)}".`,
    );
  }

  if (problems.length > 0) return { problems };
  return {
    settings: { host, port, token, allowedHosts, allowedOrigins, maxBodyBytes, maxInFlight, keyHeader },
  };
}

/** A Host header (or an allowed-hosts entry) as name and port; undefined when it is not one. */
export function parseHostHeader(value: string): HostEntry | undefined {
  const text = value.trim();
  if (text === '' || /[\s/?#@\\]/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${text}`);
  } catch {
    return undefined;
  }
  // The URL parser accepts some text it rewrites (a trailing dot, percent-escapes); the header must be plain.
  const hasPort = /:\d+$/.test(text) && !(text.startsWith('[') && text.endsWith(']'));
  const hostPart = hasPort ? text.slice(0, text.lastIndexOf(':')) : text;
  if (url.hostname !== hostPart.toLowerCase()) return undefined;
  if (!hasPort) return { name: url.hostname };
  // URL drops the scheme's default port (80); the header's own number is what counts.
  return { name: url.hostname, port: Number(text.slice(text.lastIndexOf(':') + 1)) };
}

/** An origin (scheme, host, port) in its canonical form, or undefined when `value` is anything more. */
export function parseOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  if (
    /[/?#]/.test(
      value
        .trim()
        .slice(url.protocol.length + 2)
        .replace(/\/$/, ''),
    )
  )
    return undefined;
  return url.origin;
}

/** What the server checks Host and Origin against, once it knows its port. */
export interface RequestOrigins {
  hosts: readonly HostEntry[];
  origins: ReadonlySet<string>;
}

/**
 * The loopback names on the bound port, the address it listens on (unless a wildcard), and the
 * configured extras. A DNS-rebinding page reaches the server under its own name, which is none of these.
 */
export function requestOrigins(settings: HttpSettings, boundPort: number): RequestOrigins {
  const hosts: HostEntry[] = LOOPBACK_NAMES.map((name) => ({ name, port: boundPort }));
  const listenHost = parseHostHeader(isIP(settings.host) === 6 ? `[${settings.host}]` : settings.host);
  if (listenHost && !isWildcard(settings.host)) hosts.push({ name: listenHost.name, port: boundPort });
  hosts.push(...settings.allowedHosts);
  const origins = new Set<string>(settings.allowedOrigins);
  for (const name of LOOPBACK_NAMES) origins.add(new URL(`http://${name}:${boundPort}`).origin);
  return { hosts, origins };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

export function hostAllowed(header: string | undefined, allowed: RequestOrigins): boolean {
  if (header === undefined) return false;
  const host = parseHostHeader(header);
  if (!host) return false;
  // A Host without a port means the scheme's default one.
  const port = host.port ?? 80;
  return allowed.hosts.some(
    (entry) => entry.name === host.name && (entry.port === undefined || entry.port === port),
  );
}

/** No Origin (a non-browser client) is fine; a browser's must be one of ours. */
export function originAllowed(header: string | undefined, allowed: RequestOrigins): boolean {
  if (header === undefined) return true;
  const origin = parseOrigin(header);
  return origin !== undefined && allowed.origins.has(origin);
}

/**
 * Compares a presented Authorization header with the token in constant time: both are hashed
 * first, so neither the content nor the length of the token shows in how long a refusal takes.
 */
export function bearerMatches(authorization: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const presented = digest(match?.[1] ?? '');
  return timingSafeEqual(presented, tokenDigest) && match !== null;
}

export function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function wholeNumber(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, not "${truncate(raw)}".`);
    return fallback;
  }
  return value;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
