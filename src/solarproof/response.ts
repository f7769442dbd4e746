/**
 * What an HTTP answer from Solar Proof means, decided without I/O: the client reads the status,
 * headers and (bounded, redacted) body text, and these functions say whether it is an answer to
 * parse, a failure worth retrying, or a final failure. Every read and write endpoint shares them.
 */

import { ToolError } from '../errors.js';
import { REDACTED, type Redactor } from '../redact.js';
import { upstreamError } from './contract.js';
import { cleanUpstreamText } from './errors.js';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body as text, already redacted; empty for a redirect, whose body is never read. */
  text: string;
}

export type Classified =
  /** A 2xx JSON answer, for the endpoint's own parser. */
  | { kind: 'answer'; status: number; body: unknown }
  | { kind: 'retry'; error: ToolError; retryAfterMs: number | undefined }
  | { kind: 'fail'; error: ToolError };

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

export function classifyResponse(answer: HttpAnswer, requested: URL, redact: Redactor): Classified {
  const { status, headers, text } = answer;
  if (isRedirect(status)) {
    const location = headerValue(headers.location);
    return {
      kind: 'fail',
      error: new ToolError(
        'REDIRECT_REFUSED',
        `Solar Proof answered HTTP ${status} with a redirect${location ? ` to ${safeLocation(location, requested, redact)}` : ''}; redirects are not followed.`,
        { httpStatus: status },
      ),
    };
  }

  const body = parseJson(text, redact);
  if (RETRYABLE_STATUS.has(status)) {
    const retryAfterMs = parseRetryAfter(headerValue(headers['retry-after']));
    const error = statusError(status, body, retryAfterMs);
    // A documented answer ("INVALID_API_KEY") is final whatever status carries it.
    return error.retryable ? { kind: 'retry', error, retryAfterMs } : { kind: 'fail', error };
  }
  if (status >= 200 && status < 300) {
    if (body === undefined) {
      return {
        kind: 'fail',
        error: new ToolError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof answered HTTP ${status} with a body that is not JSON (${describeBody(text, headers, redact)}).`,
          { httpStatus: status },
        ),
      };
    }
    return { kind: 'answer', status, body };
  }
  return {
    kind: 'fail',
    error:
      upstreamError(status, body) ??
      new ToolError(
        status >= 500 ? 'UPSTREAM_SERVER_ERROR' : 'UPSTREAM_HTTP_ERROR',
        `Solar Proof answered HTTP ${status} (${describeBody(text, headers, redact)}).`,
        { httpStatus: status },
      ),
  };
}

/** The failure a retryable status stands for, unless its body carries a documented code. */
function statusError(status: number, body: unknown, retryAfterMs: number | undefined): ToolError {
  const documented = upstreamError(status, body);
  if (documented) return documented;
  const details = {
    httpStatus: status,
    ...(retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }),
  };
  if (status === 429) {
    return new ToolError('RATE_LIMITED', 'Solar Proof is rate-limiting requests (HTTP 429).', details);
  }
  return new ToolError(
    'UPSTREAM_UNAVAILABLE',
    `Solar Proof is temporarily unavailable (HTTP ${status}).`,
    details,
  );
}

/**
 * JSON, or undefined when the text is not JSON. Decoding can turn an escaped form of the key
 * ("\u0026", "\/") back into the raw key, so every decoded string is redacted again before anything
 * can cut it.
 */
function parseJson(text: string, redact: Redactor): unknown {
  if (text.length === 0) return undefined;
  try {
    return redactStrings(JSON.parse(text), redact);
  } catch {
    return undefined;
  }
}

/**
 * Redacts every string in a parsed JSON value, in place. Iterative, because answers can nest
 * thousands deep (a reviver, or recursion, would overflow the stack on them).
 */
function redactStrings(root: unknown, redact: Redactor): unknown {
  if (typeof root === 'string') return redact(root);
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (typeof value === 'string') record[key] = redact(value);
      else if (value !== null && typeof value === 'object') pending.push(value);
      // Names are text too: an answer could use the key as a property name.
      const safeKey = redact(key);
      if (safeKey !== key) {
        Object.defineProperty(record, safeKey, {
          value: record[key],
          enumerable: true,
          writable: true,
          configurable: true,
        });
        delete record[key];
      }
    }
  }
  return root;
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date always names its month ("Wed, 21 Oct 2015 07:28:00 GMT"); bare numbers like "-5"
  // would otherwise parse as years.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Where a redirect pointed, without anything that could carry the key: scheme, host and path
 * only, never the query, fragment or user info, whatever their names. A path that holds the key
 * in any form the redactor knows (raw, or once percent-decoded) is not shown either.
 */
function safeLocation(location: string, requested: URL, redact: Redactor): string {
  let url: URL;
  try {
    // Redacted before parsing: parsing lower-cases a host and re-encodes a path, which would hide the key from the redactor.
    url = new URL(redact(location), requested);
  } catch {
    return 'an unparseable location';
  }
  const where = `${url.protocol}//${url.host}`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    decoded = url.pathname;
  }
  const path =
    redact(url.pathname) !== url.pathname || redact(decoded) !== decoded ? `/${REDACTED}` : url.pathname;
  const shown = path.length > LOCATION_PATH_MAX ? `${path.slice(0, LOCATION_PATH_MAX)}…` : path;
  return `${redact(where)}${shown}${url.search || url.hash ? ' (query not shown)' : ''}`;
}

const LOCATION_PATH_MAX = 200;

/** What a non-JSON body was, in a short line. The text is redacted again after tags and spacing are stripped (they could have split a key) and before it is cut. */
function describeBody(text: string, headers: Headers, redact: Redactor): string {
  const header = headerValue(headers['content-type'])?.split(';')[0]?.trim();
  const type = header ? cleanUpstreamText(redact(header), 80) : 'no content type';
  if (text.length === 0) return `${type}, empty body`;
  const excerpt = redact(stripTags(text).replace(/\s+/g, ' ').trim()).slice(0, 120);
  return excerpt ? `${type}: "${excerpt}"` : type;
}

/**
 * Replaces each <...> with a space in one pass. /<[^>]*>/g is quadratic on a body full of "<" and
 * no ">" (every "<" scans to the end), and a body can be a mebibyte.
 */
function stripTags(text: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf('<', from);
    if (open === -1) break;
    const close = text.indexOf('>', open + 1);
    if (close === -1) break;
    out += `${text.slice(from, open)} `;
    from = close + 1;
  }
  return out + text.slice(from);
}

/** Errors undici raises when no response arrived: repeating the request is safe and may succeed. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * What a thrown request error means: no answer arrived (retryable as NETWORK), the answer was not
 * valid HTTP (UNEXPECTED_RESPONSE), or something else that is not the upstream's doing.
 */
export function classifyRequestError(
  error: unknown,
):
  | { kind: 'connection'; description: string }
  | { kind: 'malformed' }
  | { kind: 'timeout' }
  | { kind: 'other' } {
  // undici's own header and body timers equal the deadline and can fire a moment before it does.
  if (hasCode(error, TIMEOUT_ERRORS)) return { kind: 'timeout' };
  if (isConnectionError(error)) return { kind: 'connection', description: describeConnectionError(error) };
  if (isMalformedResponse(error)) return { kind: 'malformed' };
  return { kind: 'other' };
}

const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function hasCode(error: unknown, codes: ReadonlySet<string>): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && codes.has(code)) return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && hasCode(cause, codes);
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && isConnectionError(cause);
}

/** undici's and llhttp's refusals of a response head: the server answered, but not in valid HTTP. */
function isMalformedResponse(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  // llhttp's errors do not always carry a code (an invalid Content-Length has none), but their name is fixed.
  if (name === 'HTTPParserError') return true;
  if (typeof code === 'string' && (code.startsWith('HPE_') || code.startsWith('UND_ERR_RES_'))) return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && isMalformedResponse(cause);
}

function describeConnectionError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code && cause.code !== code
    ? `${code ?? 'error'} (${cause.code})`
    : (code ?? 'connection error');
}
