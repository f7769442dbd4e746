/**
 * The one HTTP client for Solar Proof. Every action goes through `send`, which owns the rules that
 * keep a call safe: one deadline for the whole call, cancellation, a cap on response size, no
 * redirects (the key is in the query string), and retries only where repeating is safe and useful.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { type Logger, silentLogger } from '../logger.js';
import { createRedactor, type Redactor, redactUrl } from '../redact.js';
import {
  ACTIONS,
  API_PATH,
  type CustomerUpdate,
  parseUpdateCustomerSuccess,
  type UpdateCustomerSuccess,
  updateCustomerBody,
  upstreamError,
} from './contract.js';
import { type Customer, parseGetCustomer } from './customer.js';
import { cleanUpstreamText, SolarProofError } from './errors.js';

/**
 * undici is about half of the bundle and ~70 ms of module initialisation: load it on first use (or
 * from preloadHttp once the MCP handshake is done), not at start-up. esbuild makes it its own chunk.
 */
let undici: Promise<typeof import('undici')> | undefined;
export function preloadHttp(): Promise<typeof import('undici')> {
  // Bundled, the chunk's only export is the CommonJS module.exports, as `default`; Node gives both.
  undici ??= import('undici').then(
    (m) => ((m as { default?: unknown }).default ?? m) as typeof import('undici'),
  );
  return undici;
}

/** The keep-alive pool a client opens; also for a pool shared by several clients (ClientOptions.dispatcher). */
export function poolOptions(timeoutMs: number) {
  return { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connect: { timeout: timeoutMs } };
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 };

export interface ClientOptions
  extends Pick<Config, 'baseUrl' | 'httpMethod' | 'timeoutMs' | 'maxResponseBytes'> {
  apiKey: string;
  userAgent: string;
  logger?: Logger;
  /** Applied to every byte of upstream text before it is parsed, cut or shown. */
  redact?: Redactor;
  retry?: RetryPolicy;
  /** Tests inject their own to count connections; by default one keep-alive pool per client. */
  dispatcher?: Dispatcher;
}

export interface CallOptions {
  /** Aborts the HTTP request when the MCP client cancels or times out the tool call. */
  signal?: AbortSignal | undefined;
}

/** The request exactly as it goes on the wire, minus the key (used for logs and dry-run previews). */
export interface PreparedRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  body?: unknown;
}

export interface Outcome<T> {
  value: T;
  attempts: number;
  durationMs: number;
}

interface RawResponse {
  status: number;
  body: unknown;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
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

export class SolarProofClient {
  readonly #options: ClientOptions;
  readonly #retry: RetryPolicy;
  #dispatcher: Dispatcher | undefined;
  readonly #logger: Logger;
  readonly #redact: Redactor;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#redact = options.redact ?? createRedactor([options.apiKey]);
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#logger = options.logger ?? silentLogger;
    this.#dispatcher = options.dispatcher;
  }

  /** Builds the Update Customer request without sending it. */
  prepareUpdateCustomer(customerId: number, update: CustomerUpdate): PreparedRequest {
    return {
      method: this.#options.httpMethod,
      url: this.#url(ACTIONS.updateCustomer),
      body: updateCustomerBody(this.#options.apiKey, customerId, update),
    };
  }

  async updateCustomer(
    customerId: number,
    update: CustomerUpdate,
    options: CallOptions = {},
  ): Promise<Outcome<UpdateCustomerSuccess>> {
    const prepared = this.prepareUpdateCustomer(customerId, update);
    return this.#send(prepared, options, (response) => {
      const success = parseUpdateCustomerSuccess(response.status, response.body);
      // A confirmation naming another customer means something is badly wrong; never report it as done.
      if (typeof success.customerId === 'number' && success.customerId !== customerId) {
        throw new SolarProofError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof confirmed an update of customer ${success.customerId}, but customer ${customerId} was asked for.`,
          {
            httpStatus: response.status,
            hint: 'Do not retry. Tell the user that Solar Proof confirmed a different customer than requested, and ask them to check both records in Solar Proof.',
          },
        );
      }
      return success;
    });
  }

  /** Get Customer by email (action getcustomerByemail): a read, so always GET whatever the update method. */
  async getCustomerByEmail(email: string, options: CallOptions = {}): Promise<Outcome<Customer>> {
    const prepared: PreparedRequest = {
      method: 'GET',
      url: this.#url(ACTIONS.getCustomerByEmail, { customer_email: email }),
    };
    return this.#send(prepared, options, (response) => {
      const customer = parseGetCustomer(response.status, response.body);
      // Returning someone else's record would invite an update of the wrong customer.
      if (customer.email !== null && customer.email.trim().toLowerCase() !== email.trim().toLowerCase()) {
        throw new SolarProofError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof answered a lookup of ${email} with a customer whose email is ${cleanUpstreamText(customer.email, 254)}.`,
          {
            httpStatus: response.status,
            hint: 'The answer is for a different email than asked, so it is not used. Tell the user; check the address, and do not update anyone on the strength of this answer.',
          },
        );
      }
      return customer;
    });
  }

  async close(): Promise<void> {
    if (!this.#options.dispatcher) await this.#dispatcher?.close();
  }

  #url(action: string, extra: Record<string, string> = {}): URL {
    const base = new URL(this.#options.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    const url = new URL(API_PATH, base);
    // URLSearchParams encodes every reserved character, so a key with & + = / or a space survives.
    url.searchParams.set('api_key', this.#options.apiKey);
    url.searchParams.set('action', action);
    for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
    return url;
  }

  async #send<T>(
    prepared: PreparedRequest,
    options: CallOptions,
    parse: (r: RawResponse) => T,
  ): Promise<Outcome<T>> {
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#options.timeoutMs);
    // One controller for both the deadline and the caller's cancellation: AbortSignal.any costs
    // ~35 µs and a composite signal per call on Node 20.
    const cancel = () => deadline.abort(options.signal?.reason);
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    const signal = deadline.signal;
    const remaining = () => this.#options.timeoutMs - (performance.now() - started);
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        let retryAfterMs: number | undefined;
        let failure: SolarProofError;
        try {
          const response = await this.#attempt(prepared, signal);
          if (!RETRYABLE_STATUS.has(response.status)) {
            return { value: parse(response), attempts, durationMs: performance.now() - started };
          }
          failure = statusError(response);
          // A documented answer ("INVALID_API_KEY") is final whatever status carries it.
          if (!failure.retryable) throw failure;
          retryAfterMs = response.retryAfterMs;
        } catch (error) {
          if (signal.aborted) throw this.#abortError(options.signal, error);
          if (!(error instanceof RetryableConnectionError)) throw error;
          failure = new SolarProofError('NETWORK', `Could not reach Solar Proof: ${error.message}`, {
            cause: error.cause,
          });
        }
        const delay = Math.max(retryAfterMs ?? 0, this.#backoff(attempts));
        // Waiting past the deadline would only turn a clear error into a timeout.
        if (attempts >= this.#retry.maxAttempts || delay >= remaining()) throw failure;
        this.#logger.debug('retrying Solar Proof request', {
          code: failure.code,
          attempt: attempts,
          delayMs: delay,
        });
        try {
          await sleep(delay, undefined, { signal });
        } catch (error) {
          throw this.#abortError(options.signal, error);
        }
      }
    } catch (error) {
      const failure =
        error instanceof SolarProofError
          ? error
          : new SolarProofError('INTERNAL', error instanceof Error ? error.message : String(error), {
              cause: error,
            });
      failure.attempts = attempts;
      throw failure;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
      this.#logger.debug('Solar Proof request finished', {
        method: prepared.method,
        url: redactUrl(prepared.url),
        attempts,
        durationMs: Math.round(performance.now() - started),
      });
    }
  }

  async #attempt(
    prepared: PreparedRequest,
    signal: AbortSignal,
  ): Promise<RawResponse & { retryAfterMs?: number }> {
    let response: Dispatcher.ResponseData;
    try {
      const { Agent, request } = await preloadHttp();
      this.#dispatcher ??= new Agent(poolOptions(this.#options.timeoutMs));
      response = await request(prepared.url, {
        method: prepared.method,
        dispatcher: this.#dispatcher,
        signal,
        headers: {
          accept: 'application/json',
          'user-agent': this.#options.userAgent,
          ...(prepared.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(prepared.body === undefined ? {} : { body: JSON.stringify(prepared.body) }),
        // The deadline signal is the real limit; these stop undici's own 300 s defaults from mattering.
        headersTimeout: this.#options.timeoutMs,
        bodyTimeout: this.#options.timeoutMs,
      });
    } catch (error) {
      if (!signal.aborted && isConnectionError(error)) {
        throw new RetryableConnectionError(describeConnectionError(error), error);
      }
      if (!signal.aborted && isMalformedResponse(error)) {
        throw new SolarProofError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof sent a malformed HTTP response (${(error as Error).message}).`,
          { cause: error },
        );
      }
      throw error;
    }

    const { statusCode: status, headers, body } = response;
    if (status >= 300 && status < 400) {
      discard(body);
      const location = headerValue(headers.location);
      throw new SolarProofError(
        'REDIRECT_REFUSED',
        `Solar Proof answered HTTP ${status} with a redirect${location ? ` to ${safeLocation(location, prepared.url)}` : ''}; redirects are not followed.`,
        { httpStatus: status },
      );
    }

    // Redacted before anything trims or excerpts it: a key cut in half by a length limit would
    // no longer be recognised, and its first half would leak into results and logs.
    const text = this.#redact(await this.#readBody(body, headers, status, signal));
    let parsed: unknown;
    try {
      // Decoding can turn an escaped form of the key ("\u0026", "\/") back into the raw key, so
      // every decoded string is redacted again before anything can cut it.
      parsed = text.length === 0 ? undefined : redactStrings(JSON.parse(text), this.#redact);
    } catch {
      parsed = undefined;
    }
    const result: RawResponse & { retryAfterMs?: number } = { status, body: parsed };
    const retryAfter = parseRetryAfter(headerValue(headers['retry-after']));
    if (retryAfter !== undefined) result.retryAfterMs = retryAfter;

    if (status >= 200 && status < 300) {
      if (parsed === undefined) {
        throw new SolarProofError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof answered HTTP ${status} with a body that is not JSON (${describeBody(text, headers)}).`,
          { httpStatus: status },
        );
      }
      return result;
    }
    if (RETRYABLE_STATUS.has(status)) return result;
    throw (
      upstreamError(status, parsed) ??
      new SolarProofError(
        status >= 500 ? 'UPSTREAM_SERVER_ERROR' : 'UPSTREAM_HTTP_ERROR',
        `Solar Proof answered HTTP ${status} (${describeBody(text, headers)}).`,
        { httpStatus: status },
      )
    );
  }

  /** Reads at most maxResponseBytes; a larger body is cut off rather than buffered whole. */
  async #readBody(
    body: Dispatcher.ResponseData['body'],
    headers: Dispatcher.ResponseData['headers'],
    status: number,
    signal: AbortSignal,
  ): Promise<string> {
    const limit = this.#options.maxResponseBytes;
    const tooLarge = () =>
      new SolarProofError(
        'RESPONSE_TOO_LARGE',
        `Solar Proof's response (HTTP ${status}) exceeded ${limit} bytes and was cut off.`,
        { httpStatus: status },
      );
    const declared = Number(headerValue(headers['content-length']));
    if (Number.isFinite(declared) && declared > limit) {
      discard(body);
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
          discard(body);
          throw tooLarge();
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof SolarProofError || signal.aborted) throw error;
      throw new SolarProofError('NETWORK', `The connection to Solar Proof broke while reading its answer.`, {
        httpStatus: status,
        cause: error,
      });
    }
    return new TextDecoder('utf-8').decode(Buffer.concat(chunks, size));
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
    // Half fixed, half random: spreads out clients that failed together without waiting for nothing.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  #abortError(clientSignal: AbortSignal | undefined, cause: unknown): SolarProofError {
    if (clientSignal?.aborted) {
      return new SolarProofError('CANCELLED', 'The call was cancelled before Solar Proof answered.', {
        cause,
      });
    }
    return new SolarProofError(
      'TIMEOUT',
      `Solar Proof did not answer within ${this.#options.timeoutMs} ms (SOLARPROOF_TIMEOUT_MS).`,
      { cause },
    );
  }
}

class RetryableConnectionError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

function statusError(response: RawResponse & { retryAfterMs?: number }): SolarProofError {
  const documented = upstreamError(response.status, response.body);
  if (documented) return documented;
  const details = {
    httpStatus: response.status,
    ...(response.retryAfterMs === undefined
      ? {}
      : { retryAfterSeconds: Math.ceil(response.retryAfterMs / 1000) }),
  };
  if (response.status === 429) {
    return new SolarProofError('RATE_LIMITED', 'Solar Proof is rate-limiting requests (HTTP 429).', details);
  }
  return new SolarProofError(
    'UPSTREAM_UNAVAILABLE',
    `Solar Proof is temporarily unavailable (HTTP ${response.status}).`,
    details,
  );
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

/** Drops a body we will not read. Its abort error has nowhere useful to go, and unheard it would crash the process. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function headerValue(value: string | string[] | undefined): string | undefined {
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

function safeLocation(location: string, requested: URL): string {
  try {
    return redactUrl(new URL(location, requested));
  } catch {
    return 'an unparseable location';
  }
}

function describeBody(text: string, headers: Dispatcher.ResponseData['headers']): string {
  const type = headerValue(headers['content-type'])?.split(';')[0]?.trim() || 'no content type';
  if (text.length === 0) return `${type}, empty body`;
  const excerpt = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  return excerpt ? `${type}: "${excerpt}"` : type;
}
