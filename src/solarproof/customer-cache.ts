/**
 * The customer list a find_customers scan read, kept in memory for SOLARPROOF_CACHE_TTL_SECONDS so
 * the next search answers at once. Only the small search summary of each customer is kept (no
 * notes, projects or owner), and the page cap bounds how many: memory stays bounded.
 *
 * Keyed by account (today one per process: the configured base URL and key, hashed), so a server
 * that one day serves several accounts keeps their customers apart.
 */
import {
  type CustomerSummary,
  SearchIndex,
  type SearchKeys,
  SUMMARY_FIELDS,
  searchKeys,
  summarise,
} from './matching.js';

export interface CachedCustomer {
  summary: CustomerSummary;
  keys: SearchKeys;
}

export type ScanStop = 'end' | 'page-cap' | 'time-cap' | 'page-error';

export interface CustomerSnapshot {
  /** By id; a customer sent without a readable id is kept under a string key of its own. */
  customers: Map<number | string, CachedCustomer>;
  /** Pages read, all of them in order from page 1. */
  pages: number;
  /** true when the scan read to the end of the list. */
  complete: boolean;
  stop: ScanStop;
  /** When the scan finished, in ms since the epoch. */
  readAt: number;
  /** The list laid out for search, built by the first search of it; told of every change after. */
  index?: SearchIndex<CachedCustomer> | undefined;
}

/** The snapshot's customers laid out for search (SearchIndex), built at its first search. */
export function searchIndex(snapshot: CustomerSnapshot): SearchIndex<CachedCustomer> {
  snapshot.index ??= new SearchIndex(snapshot.customers.values());
  return snapshot.index;
}

export function cachedCustomer(customer: CustomerSummary): CachedCustomer {
  const summary = summarise(customer);
  return { summary, keys: searchKeys(summary) };
}

export class CustomerCache {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #snapshots = new Map<string, CustomerSnapshot>();

  constructor(ttlSeconds: number, now: () => number = Date.now) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0;
  }

  /** The account's list while it is fresh; an expired list is dropped, so its memory is freed. */
  get(account: string): CustomerSnapshot | undefined {
    const snapshot = this.#snapshots.get(account);
    if (!snapshot) return undefined;
    if (this.#now() - snapshot.readAt >= this.#ttlMs) {
      this.#snapshots.delete(account);
      return undefined;
    }
    return snapshot;
  }

  set(account: string, snapshot: CustomerSnapshot): void {
    if (this.enabled) this.#snapshots.set(account, snapshot);
  }

  /** Whole seconds since the snapshot was read. */
  ageSeconds(snapshot: CustomerSnapshot): number {
    return Math.max(0, Math.floor((this.#now() - snapshot.readAt) / 1000));
  }

  /** A record read whole (get_customer) replaces its cached copy, or joins the list if it is new. */
  remember(account: string, customer: CustomerSummary): void {
    const snapshot = this.get(account);
    if (!snapshot || customer.pkcustomerid === null) return;
    const cached = cachedCustomer(customer);
    snapshot.customers.set(customer.pkcustomerid, cached);
    snapshot.index?.set(customer.pkcustomerid, cached);
  }

  /** Fields known to have changed (an update sent, a partial read) are written over the cached copy. */
  patch(account: string, id: number, fields: Partial<CustomerSummary>): void {
    const snapshot = this.get(account);
    const cached = snapshot?.customers.get(id);
    if (!snapshot || !cached) return;
    const summary = { ...cached.summary };
    for (const field of SUMMARY_FIELDS) {
      if (field !== 'pkcustomerid' && fields[field] !== undefined)
        Object.assign(summary, { [field]: fields[field] });
    }
    const changed = cachedCustomer(summary);
    snapshot.customers.set(id, changed);
    snapshot.index?.set(id, changed);
  }

  clear(): void {
    this.#snapshots.clear();
  }
}
