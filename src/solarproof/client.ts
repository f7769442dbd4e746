/**
 * The one HTTP client for Solar Proof. Every action goes through `send`, which owns the rules that
 * keep a call safe: one deadline for the whole call, cancellation, a cap on response size, no
 * redirects (the key is in the query string), and retries only where repeating is safe and useful.
 * What an answer means (response.ts) and when to retry (retry.ts) are pure functions; this file
 * is the I/O around them.
 *
 * undici's request() rather than the global fetch: it never follows redirects unless asked, its
 * body is a stream that can be cut at the size limit, it takes a per-client connection pool with
 * its own connect, header and body timeouts, and its version is pinned here instead of being
 * whatever the running Node.js bundles.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { ToolError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { createRedactor, type Redactor, redactUrl } from '../redact.js';
import {
  ACTIONS,
  API_PATH,
  type CustomerUpdate,
  isSameEmail,
  parseUpdateCustomerSuccess,
  type UpdateCustomerSuccess,
  updateCustomerBody,
} from './contract.js';
import {
  type Customer,
  type CustomerPage,
  type ProjectCustomer,
  parseCustomerOfProject,
  parseCustomerPage,
  parseGetCustomer,
} from './customer.js';
import { cleanUpstreamText } from './errors.js';
import {
  type Classified,
  classifyRequestError,
  classifyResponse,
  headerValue,
  isRedirect,
} from './response.js';
import { DEFAULT_RETRY, nextDelay, type RetryPolicy } from './retry.js';
import { preloadHttp } from './undici.js';

/** The keep-alive pool a client opens; also for a pool shared by several clients (ClientOptions.dispatcher). */
export function poolOptions(timeoutMs: number) {
  return { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connect: { timeout: timeoutMs } };
}

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
  /** A shorter deadline for this call than SOLARPROOF_TIMEOUT_MS (never a longer one). */
  timeoutMs?: number | undefined;
}

/** The request exactly as it goes on the wire, minus the key (used for logs and dry-run previews). */
export interface PreparedRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  body?: unknown;
}

/** The two forms of Get Customer by id: documented (getcustomerByemail) and older (getcustomer). */
export type IdLookupForm = 'documented' | 'older';

export interface Outcome<T> {
  value: T;
  attempts: number;
  durationMs: number;
}

export class SolarProofClient {
  readonly #options: ClientOptions;
  readonly #retry: RetryPolicy;
  #dispatcher: Dispatcher | undefined;
  readonly #logger: Logger;
  readonly #redact: Redactor;
  #endpoint: string | undefined;

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
  ): Promise<Outcome<UpdateCustomerSuccess & { customerId: number }>> {
    const prepared = this.prepareUpdateCustomer(customerId, update);
    return this.#send(prepared, options, (status, body) => {
      const success = parseUpdateCustomerSuccess(status, body);
      // A confirmation naming anything but this customer, in the documented form, means something
      // is badly wrong (or unknown): never report it as done.
      if (success.customerId !== customerId) {
        throw new ToolError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof confirmed an update of customer ${describeId(success.customerId)}, but customer ${customerId} was asked for.`,
          {
            httpStatus: status,
            hint: 'Do not retry. Tell the user that Solar Proof confirmed a different customer than requested, and ask them to check both records in Solar Proof.',
          },
        );
      }
      return { customerId, message: success.message };
    });
  }

  /** Get Customer by email (action getcustomerByemail): a read, so always GET whatever the update method. */
  async getCustomerByEmail(email: string, options: CallOptions = {}): Promise<Outcome<Customer>> {
    const prepared: PreparedRequest = {
      method: 'GET',
      url: this.#url(ACTIONS.getCustomerByEmail, { customer_email: email }),
    };
    return this.#send(prepared, options, (status, body) => {
      const customer = parseGetCustomer(status, body);
      // Returning someone else's record would invite an update of the wrong customer, and a record
      // that does not say its email cannot be told apart from someone else's.
      if (customer.email === null || !isSameEmail(email, customer.email)) {
        throw new ToolError(
          'UNEXPECTED_RESPONSE',
          customer.email === null
            ? `Solar Proof answered a lookup of ${email} with a customer record that gives no email.`
            : `Solar Proof answered a lookup of ${email} with a customer whose email is ${cleanUpstreamText(customer.email, 254)}.`,
          {
            httpStatus: status,
            hint:
              customer.email === null
                ? 'The answer does not say whose record it is, so it is not used. Tell the user, and do not update anyone on the strength of this answer.'
                : 'The answer is for a different email than asked, so it is not used. Tell the user; check the address, and do not update anyone on the strength of this answer.',
          },
        );
      }
      return customer;
    });
  }

  /**
   * Get Customer by id, in one of its two forms: the documented one (getcustomerByemail, which "accepts
   * both", with the id in customer_email) or the older `getcustomer&customer_id=`. One request;
   * which form to try, and when, is CustomerDirectory's decision.
   */
  async getCustomerById(
    customerId: number,
    form: IdLookupForm,
    options: CallOptions = {},
  ): Promise<Outcome<Customer>> {
    const prepared: PreparedRequest = {
      method: 'GET',
      url:
        form === 'documented'
          ? this.#url(ACTIONS.getCustomerByEmail, { customer_email: String(customerId) })
          : this.#url(ACTIONS.getCustomer, { customer_id: String(customerId) }),
    };
    return this.#send(prepared, options, (status, body) => {
      const customer = parseGetCustomer(status, body, `id ${customerId}`);
      // An answer that cannot be shown to be this customer must never be passed off as it.
      if (customer.pkcustomerid !== customerId) {
        throw new ToolError(
          'UNEXPECTED_RESPONSE',
          customer.pkcustomerid === null
            ? `Solar Proof answered a lookup of customer ${customerId} with a record that has no readable id.`
            : `Solar Proof answered a lookup of customer ${customerId} with customer ${customer.pkcustomerid}.`,
          {
            httpStatus: status,
            hint: 'The answer is not the customer asked for, so it is not used. Tell the user; do not update anyone on the strength of this answer. Look the customer up by email instead.',
          },
        );
      }
      return customer;
    });
  }

  /** Get Customer of Project (action getcustomerofproject). */
  async getCustomerOfProject(
    projectId: number,
    options: CallOptions = {},
  ): Promise<Outcome<ProjectCustomer>> {
    const prepared: PreparedRequest = {
      method: 'GET',
      url: this.#url(ACTIONS.getCustomerOfProject, { project_id: String(projectId) }),
    };
    return this.#send(prepared, options, (status, body) => parseCustomerOfProject(status, body, projectId));
  }

  /** One page of Get All Customers (action getallcustomers, 50 a page, from page 1). */
  async getAllCustomersPage(page: number, options: CallOptions = {}): Promise<Outcome<CustomerPage>> {
    const prepared: PreparedRequest = {
      method: 'GET',
      url: this.#url(ACTIONS.getAllCustomers, { page: String(page) }),
    };
    return this.#send(prepared, options, (status, body) => parseCustomerPage(status, body));
  }

  async close(): Promise<void> {
    if (!this.#options.dispatcher) await this.#dispatcher?.close();
  }

  #url(action: string, extra: Record<string, string> = {}): URL {
    // The endpoint is worked out once; each request then parses one URL, not two plus a
    // re-serialisation per searchParams.set.
    this.#endpoint ??= endpointOf(this.#options.baseUrl);
    // URLSearchParams encodes every reserved character, so a key with & + = / or a space survives.
    const query = new URLSearchParams();
    query.append('api_key', this.#options.apiKey);
    query.append('action', action);
    for (const [name, value] of Object.entries(extra)) query.append(name, value);
    return new URL(`${this.#endpoint}?${query}`);
  }

  async #send<T>(
    prepared: PreparedRequest,
    options: CallOptions,
    parse: (status: number, body: unknown) => T,
  ): Promise<Outcome<T>> {
    const started = performance.now();
    const timeoutMs = Math.min(options.timeoutMs ?? this.#options.timeoutMs, this.#options.timeoutMs);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    // One controller for both the deadline and the caller's cancellation: AbortSignal.any costs
    // more and builds a composite signal per call on Node 20.
    const cancel = () => deadline.abort(options.signal?.reason);
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    const signal = deadline.signal;
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        let outcome: Classified;
        try {
          outcome = await this.#attempt(prepared, signal);
        } catch (error) {
          const timedOut = signal.aborted || classifyRequestError(error).kind === 'timeout';
          throw timedOut ? this.#abortError(options.signal, error, timeoutMs) : error;
        }
        if (outcome.kind === 'answer') {
          return {
            value: parse(outcome.status, outcome.body),
            attempts,
            durationMs: performance.now() - started,
          };
        }
        if (outcome.kind === 'fail') throw outcome.error;
        const delay = nextDelay(this.#retry, {
          attempts,
          retryAfterMs: outcome.retryAfterMs,
          remainingMs: timeoutMs - (performance.now() - started),
        });
        if (delay === undefined) throw outcome.error;
        this.#logger.debug('retrying Solar Proof request', {
          code: outcome.error.code,
          attempt: attempts,
          delayMs: delay,
        });
        try {
          await sleep(delay, undefined, { signal });
        } catch (error) {
          throw this.#abortError(options.signal, error, timeoutMs);
        }
      }
    } catch (error) {
      const failure =
        error instanceof ToolError
          ? error
          : new ToolError('INTERNAL', error instanceof Error ? error.message : String(error), {
              cause: error,
            });
      throw failure.with({ attempts });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
      // Made only when debug lines are written: redactUrl parses the URL again on every call.
      this.#logger.debug('Solar Proof request finished', () => ({
        method: prepared.method,
        url: redactUrl(prepared.url),
        attempts,
        durationMs: Math.round(performance.now() - started),
      }));
    }
  }

  /** One HTTP exchange: the I/O only; what the answer means is decided by classifyResponse. */
  async #attempt(prepared: PreparedRequest, signal: AbortSignal): Promise<Classified> {
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
      if (signal.aborted) throw error;
      const kind = classifyRequestError(error);
      if (kind.kind === 'connection') {
        const failure = new ToolError('NETWORK', `Could not reach Solar Proof: ${kind.description}`, {
          cause: error,
        });
        return { kind: 'retry', error: failure, retryAfterMs: undefined };
      }
      if (kind.kind === 'malformed') {
        throw new ToolError(
          'UNEXPECTED_RESPONSE',
          `Solar Proof sent a malformed HTTP response (${(error as Error).message}).`,
          { cause: error },
        );
      }
      throw error;
    }

    const { statusCode: status, headers, body } = response;
    let text = '';
    if (isRedirect(status)) discard(body);
    // Redacted before anything trims or excerpts it: a key cut in half by a length limit would
    // no longer be recognised, and its first half would leak into results and logs.
    else text = this.#redact(await this.#readBody(body, headers, status, signal));
    return classifyResponse({ status, headers, text }, prepared.url, this.#redact);
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
      new ToolError(
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
      if (error instanceof ToolError || signal.aborted) throw error;
      throw new ToolError('NETWORK', `The connection to Solar Proof broke while reading its answer.`, {
        httpStatus: status,
        cause: error,
      });
    }
    return UTF8.decode(Buffer.concat(chunks, size));
  }

  #abortError(clientSignal: AbortSignal | undefined, cause: unknown, timeoutMs: number): ToolError {
    if (clientSignal?.aborted) {
      return new ToolError('CANCELLED', 'The call was cancelled before Solar Proof answered.', {
        cause,
      });
    }
    return new ToolError(
      'TIMEOUT',
      timeoutMs === this.#options.timeoutMs
        ? `Solar Proof did not answer within ${timeoutMs} ms (SOLARPROOF_TIMEOUT_MS).`
        : `Solar Proof did not answer within ${timeoutMs} ms.`,
      { cause },
    );
  }
}

/** Drops a body we will not read. Its abort error has nowhere useful to go, and unheard it would crash the process. */
/** Without { stream: true } a decode keeps no state between calls, so one decoder serves them all. */
const UTF8 = new TextDecoder('utf-8');

/** Solar Proof's one URL under the configured base, without a query. */
function endpointOf(baseUrl: URL): string {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL(API_PATH, base).href;
}

function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** An id as the answer gave it: a string in quotes (so " 79461 " shows its spaces), one short line. */
function describeId(id: number | string): string {
  return typeof id === 'number' ? String(id) : cleanUpstreamText(JSON.stringify(id), 80);
}
