/**
 * Every way of reaching a customer record, and the state those ways share for the life of the
 * process: whether Solar Proof looks customers up by id at all, and the customer list a search
 * read. One object per server (ToolContext.customers); the tools stay thin.
 */
import { createRequire } from 'node:module';
import type { Config } from '../config.js';
import { asToolError, ToolError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { CallOptions, IdLookupForm, SolarProofClient } from './client.js';
import { CUSTOMERS_PER_PAGE, type CustomerUpdate } from './contract.js';
import type { Customer, CustomerPage, ProjectCustomer } from './customer.js';
import {
  type CachedCustomer,
  CustomerCache,
  type CustomerSnapshot,
  cachedCustomer,
  type ScanStop,
} from './customer-cache.js';
import { type CustomerSummary, SUMMARY_FIELDS, summarise } from './matching.js';

/**
 * Whether Get Customer by id works here: unknown until one lookup answers; `refused` once both
 * forms answered not-found or invalid-parameters before any id lookup ever worked.
 */
export type IdLookups = 'unknown' | 'working' | 'refused';

const loadBuiltin = createRequire(import.meta.url);

/**
 * Pages requested at once: a large account reads in under a second (200 pages at 20 ms a page
 * take 0.5 s of waiting, against 1 s at 4), and a service with no published rate limit still sees
 * a bounded few requests, never the whole list at once.
 */
export const SCAN_CONCURRENCY = 8;

export interface ScanProgress {
  pages: number;
  customers: number;
}

export interface ScanResult {
  snapshot: CustomerSnapshot;
  /** Seconds since the list was read: 0 when this call read it. */
  cachedSeconds: number;
  fromCache: boolean;
  /** Why a scan stopped at a failing page (stop is 'page-error'). */
  failure?: ToolError;
}

export interface DirectoryOptions {
  config: Pick<Config, 'baseUrl' | 'apiKey' | 'scanMaxPages' | 'scanTimeoutMs' | 'cacheTtlSeconds'>;
  /** The client, or a CONFIGURATION error, as ToolContext.client() gives it. */
  client: () => SolarProofClient;
  logger?: Logger;
  concurrency?: number;
  now?: () => number;
}

/** The most recent copy of a customer this process read, and how old it is. */
export interface CustomerCopy {
  customer: CustomerSummary;
  ageSeconds: number;
}

/** Copies kept for updates made while Solar Proof answers no lookup by id: the most recently read. */
const RECENT_COPIES_MAX = 1_000;

/** A read's own limits: a shorter deadline than SOLARPROOF_TIMEOUT_MS (a read-back after an update). */
export type ReadOptions = Pick<CallOptions, 'timeoutMs'>;

type PageOutcome = { page: CustomerPage } | { error: unknown };
type PagesRead = { snapshot: CustomerSnapshot; failure?: ToolError };

export class CustomerDirectory {
  readonly #options: DirectoryOptions;
  readonly #logger: Logger;
  readonly #cache: CustomerCache;
  #idLookups: IdLookups = 'unknown';
  /** The form that answered an id lookup, tried alone from then on. */
  #workingForm: IdLookupForm | undefined;
  #account: string | undefined;
  /** The id whose lookup made id lookups count as refused. */
  #refusedWith: number | undefined;
  /** By id, least recently read first (a Map keeps insertion order), at most RECENT_COPIES_MAX. */
  readonly #copies = new Map<number, { customer: CustomerSummary; readAt: number }>();
  /**
   * Changes learnt while a scan is reading (an update sent, a record read): pages read before them
   * hold the old values, so each scan applies them to its list before the list is kept.
   */
  readonly #scanning = new Set<Array<(customers: Map<number | string, CachedCustomer>) => void>>();

  constructor(options: DirectoryOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#cache = new CustomerCache(options.config.cacheTtlSeconds, options.now);
  }

  get idLookups(): IdLookups {
    return this.#idLookups;
  }

  async byEmail(email: string, signal?: AbortSignal, options: ReadOptions = {}): Promise<Customer> {
    const { value } = await this.#options.client().getCustomerByEmail(email, { signal, ...options });
    this.#remember(value);
    return value;
  }

  /**
   * The customer with this id, or an error. Tries the documented form, then the older one; once a
   * form has answered, only that one, and a not-found then means not found. Before any id lookup
   * has worked, not-found from both forms cannot be told from "ids are not looked up here": that
   * is CUSTOMER_NOT_FOUND with a hint saying both, and later calls are refused at once.
   */
  async byId(customerId: number, signal?: AbortSignal, options: ReadOptions = {}): Promise<Customer> {
    if (this.#idLookups === 'refused') {
      throw new ToolError(
        'CUSTOMER_NOT_FOUND',
        `Customer ${customerId} was not looked up: Solar Proof answered no lookup by id earlier in this session, so this server takes id lookups as unsupported until it restarts.`,
        { hint: ID_LOOKUPS_REFUSED_HINT },
      );
    }
    const client = this.#options.client();
    const forms: IdLookupForm[] = this.#workingForm ? [this.#workingForm] : ['documented', 'older'];
    let refusal: ToolError | undefined;
    for (const form of forms) {
      try {
        const { value } = await client.getCustomerById(customerId, form, { signal, ...options });
        this.#idLookups = 'working';
        this.#workingForm = form;
        this.#remember(value);
        return value;
      } catch (error) {
        if (!isIdRefusal(error)) throw error;
        refusal = error;
      }
    }
    if (this.#idLookups === 'working' || !refusal) throw refusal;
    this.#idLookups = 'refused';
    this.#refusedWith = customerId;
    this.#logger.warn('Solar Proof answered no lookup by id; id lookups are taken as unsupported', {
      customerId,
      code: refusal.code,
    });
    throw new ToolError(
      'CUSTOMER_NOT_FOUND',
      `Solar Proof found no customer ${customerId} by id, asked both ways (getcustomerByemail and getcustomer): ${refusal.message}`,
      {
        hint: `Either no customer has this id, or this Solar Proof service does not look customers up by id: no id lookup has worked yet, so the two cannot be told apart. ${ID_LOOKUPS_REFUSED_HINT}`,
        httpStatus: refusal.details.httpStatus,
        upstreamCode: refusal.details.upstreamCode,
      },
    );
  }

  async ofProject(projectId: number, signal?: AbortSignal): Promise<ProjectCustomer> {
    let value: ProjectCustomer;
    try {
      ({ value } = await this.#options.client().getCustomerOfProject(projectId, { signal }));
    } catch (error) {
      throw projectNotFound(error) ?? error;
    }
    const { customer } = value;
    if (customer.pkcustomerid !== null) {
      // A partial record: only what it carries is written over the cached copy.
      const known = Object.fromEntries(
        Object.entries(customer).filter(([field, v]) => v !== null && field !== 'unmapped'),
      ) as Partial<CustomerSummary>;
      if (!this.#copies.has(customer.pkcustomerid))
        this.#keepCopy(customer.pkcustomerid, summarise(customer));
      this.#patch(customer.pkcustomerid, known);
    }
    return value;
  }

  /** An update made through this server: the cached copy takes the fields sent. */
  updated(customerId: number, update: CustomerUpdate): void {
    const { gststatus, ...rest } = update;
    this.#patch(customerId, {
      ...rest,
      ...(gststatus === 0 || gststatus === 1 ? { gststatus } : {}),
    });
  }

  /**
   * Solar Proof answered an update of this customer "not found". If id lookups were taken as
   * refused because this very id was not found either way, that was a plain not-found, not a
   * service without id lookups: they are tried again, so one mistyped id does not turn off the
   * check before every later update.
   */
  noSuchCustomer(customerId: number): void {
    if (this.#idLookups !== 'refused' || this.#refusedWith !== customerId) return;
    this.#idLookups = 'unknown';
    this.#refusedWith = undefined;
    this.#logger.info('an update confirmed the customer does not exist; id lookups will be tried again', {
      customerId,
    });
  }

  /**
   * The copy of this customer the process read most recently (get_customer, or a find_customers
   * list while it is cached), with the fields updates through this server have sent since.
   */
  recentCopy(customerId: number): CustomerCopy | undefined {
    const now = (this.#options.now ?? Date.now)();
    const read = this.#copies.get(customerId);
    const snapshot = this.#cache.get(this.#accountKey());
    const listed = snapshot?.customers.get(customerId);
    const age = (readAt: number) => Math.max(0, Math.floor((now - readAt) / 1000));
    if (listed && snapshot && (!read || snapshot.readAt > read.readAt)) {
      return { customer: listed.summary, ageSeconds: age(snapshot.readAt) };
    }
    return read ? { customer: read.customer, ageSeconds: age(read.readAt) } : undefined;
  }

  /**
   * The account's customers: from the cache while it is fresh, otherwise read page by page
   * (SCAN_CONCURRENCY pages in flight) until a short or empty page, a page with no new id, the
   * page cap or the time cap. A failing first page is an error; a later one ends the scan with
   * what was read before it, marked incomplete. Cancellation stops every request at once.
   */
  async scan(signal: AbortSignal, onPage?: (progress: ScanProgress) => void): Promise<ScanResult> {
    const account = this.#accountKey();
    const cached = this.#cache.get(account);
    if (cached) return { snapshot: cached, cachedSeconds: this.#cache.ageSeconds(cached), fromCache: true };
    const client = this.#options.client();
    const started = performance.now();
    const changes: Array<(customers: Map<number | string, CachedCustomer>) => void> = [];
    this.#scanning.add(changes);
    let read: PagesRead;
    try {
      read = await this.#readPages(client, signal, onPage);
    } finally {
      this.#scanning.delete(changes);
    }
    const { snapshot, failure } = read;
    for (const change of changes) change(snapshot.customers);
    // A list cut short by time or a failure is not kept: the next search should try again.
    if (snapshot.stop === 'end' || snapshot.stop === 'page-cap') this.#cache.set(account, snapshot);
    this.#logger.info('customer scan finished', {
      pages: snapshot.pages,
      customers: snapshot.customers.size,
      stop: snapshot.stop,
      durationMs: Math.round(performance.now() - started),
    });
    return { snapshot, cachedSeconds: 0, fromCache: false, ...(failure ? { failure } : {}) };
  }

  async #readPages(
    client: SolarProofClient,
    signal: AbortSignal,
    onPage: ((progress: ScanProgress) => void) | undefined,
  ): Promise<PagesRead> {
    const { scanMaxPages, scanTimeoutMs } = this.#options.config;
    const concurrency = this.#options.concurrency ?? SCAN_CONCURRENCY;
    // One controller for the caller's cancellation and the scan's own deadline; every page request
    // listens to it, and it is aborted when the scan ends so no request outlives it.
    const stop = new AbortController();
    let timedOut = false;
    const cancel = () => stop.abort(signal.reason);
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, scanTimeoutMs);

    const inFlight = new Map<number, Promise<PageOutcome>>();
    let nextPage = 1;
    const fill = (from: number) => {
      while (nextPage <= scanMaxPages && nextPage < from + concurrency && !stop.signal.aborted) {
        const page = nextPage++;
        inFlight.set(
          page,
          client.getAllCustomersPage(page, { signal: stop.signal }).then(
            ({ value }) => ({ page: value }),
            (error: unknown) => ({ error }),
          ),
        );
      }
    };

    const customers = new Map<number | string, CachedCustomer>();
    let pages = 0;
    let end: ScanStop = 'page-cap';
    let failure: ToolError | undefined;
    try {
      for (let page = 1; page <= scanMaxPages; page++) {
        fill(page);
        const pending = inFlight.get(page);
        if (!pending) {
          if (signal.aborted) throw cancelled();
          end = timedOut ? 'time-cap' : 'page-cap';
          break;
        }
        const outcome = await pending;
        inFlight.delete(page);
        if (signal.aborted) throw cancelled();
        if ('error' in outcome) {
          if (timedOut) {
            end = 'time-cap';
            break;
          }
          const error = asToolError(outcome.error);
          // Past the end, a service may well say "not found" rather than send an empty list.
          if (error.code === 'CUSTOMER_NOT_FOUND') {
            end = 'end';
            break;
          }
          if (pages === 0) throw error;
          end = 'page-error';
          failure = error;
          break;
        }
        pages = page;
        let newIds = 0;
        outcome.page.customers.forEach((customer, index) => {
          const key = customer.pkcustomerid ?? `page ${page} #${index}`;
          if (customers.has(key)) return;
          if (customer.pkcustomerid !== null) newIds++;
          customers.set(key, cachedCustomer(customer));
        });
        onPage?.({ pages, customers: customers.size });
        // A short page is the last; a page of nothing new means a service repeating itself past the end.
        if (outcome.page.entries < CUSTOMERS_PER_PAGE || newIds === 0) {
          end = 'end';
          break;
        }
        if (timedOut) {
          end = 'time-cap';
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
      stop.abort();
    }
    const snapshot: CustomerSnapshot = {
      customers,
      pages,
      complete: end === 'end',
      stop: end,
      readAt: (this.#options.now ?? Date.now)(),
    };
    return failure ? { snapshot, failure } : { snapshot };
  }

  #remember(customer: Customer): void {
    this.#cache.remember(this.#accountKey(), customer);
    const id = customer.pkcustomerid;
    if (id === null) return;
    this.#keepCopy(id, summarise(customer));
    this.#duringScans((customers) => customers.set(id, cachedCustomer(customer)));
  }

  #keepCopy(id: number, customer: CustomerSummary): void {
    this.#copies.delete(id);
    this.#copies.set(id, { customer, readAt: (this.#options.now ?? Date.now)() });
    if (this.#copies.size > RECENT_COPIES_MAX) {
      const oldest = this.#copies.keys().next().value;
      if (oldest !== undefined) this.#copies.delete(oldest);
    }
  }

  #patch(customerId: number, fields: Partial<CustomerSummary>): void {
    const copy = this.#copies.get(customerId);
    // A copy keeps the time it was read: what was sent since is known, the rest is as old as the read.
    if (copy) copy.customer = { ...copy.customer, ...definedFields(fields) };
    this.#cache.patch(this.#accountKey(), customerId, fields);
    this.#duringScans((customers) => {
      const cached = customers.get(customerId);
      if (cached) customers.set(customerId, cachedCustomer({ ...cached.summary, ...fields }));
    });
  }

  #duringScans(change: (customers: Map<number | string, CachedCustomer>) => void): void {
    for (const changes of this.#scanning) changes.push(change);
  }

  /** The account the cache is keyed by: its URL and a hash of its key (never the key itself). */
  #accountKey(): string {
    if (this.#account !== undefined) return this.#account;
    const { baseUrl, apiKey } = this.#options.config;
    // node:crypto is loaded here, at the first lookup, not with the module: a few ms of every start.
    const { createHash } = loadBuiltin('node:crypto') as typeof import('node:crypto');
    this.#account = `${baseUrl.href} ${createHash('sha256')
      .update(apiKey ?? '')
      .digest('hex')
      .slice(0, 16)}`;
    return this.#account;
  }
}

/** The summary fields that are given, the id apart. */
function definedFields(fields: Partial<CustomerSummary>): Partial<CustomerSummary> {
  return Object.fromEntries(
    SUMMARY_FIELDS.filter((field) => field !== 'pkcustomerid' && fields[field] !== undefined).map((field) => [
      field,
      fields[field],
    ]),
  ) as Partial<CustomerSummary>;
}

const ID_LOOKUPS_REFUSED_HINT =
  'Check the id with the user, or find the customer with get_customer by email or with find_customers (name, phone, company or id).';

/** Answers that, to a lookup by id, may mean "no such customer" or "ids are not looked up here". */
function isIdRefusal(error: unknown): error is ToolError {
  if (!(error instanceof ToolError)) return false;
  if (error.code === 'CUSTOMER_NOT_FOUND' || error.code === 'INVALID_PARAMETERS') return true;
  if (error.code === 'UPSTREAM_ERROR') return error.details.upstreamCode === 'NOT_FOUND';
  return (
    error.code === 'UPSTREAM_HTTP_ERROR' &&
    (error.details.httpStatus === 400 || error.details.httpStatus === 404)
  );
}

/** One read page lists CAMPAIGN_NOT_FOUND (a copy-paste slip that may be what is really sent). */
const PROJECT_NOT_FOUND_CODES = new Set(['PROJECT_NOT_FOUND', 'CAMPAIGN_NOT_FOUND', 'NOT_FOUND']);

function projectNotFound(error: unknown): ToolError | undefined {
  if (!(error instanceof ToolError) || error.code !== 'UPSTREAM_ERROR') return undefined;
  if (!PROJECT_NOT_FOUND_CODES.has(error.details.upstreamCode ?? '')) return undefined;
  return new ToolError('CUSTOMER_NOT_FOUND', error.message, {
    httpStatus: error.details.httpStatus,
    upstreamCode: error.details.upstreamCode,
  });
}

function cancelled(): ToolError {
  return new ToolError('CANCELLED', 'The search was cancelled; no more pages were requested.');
}
