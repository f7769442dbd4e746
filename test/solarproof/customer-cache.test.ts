/** The search cache on its own: freshness, TTL 0, and what updates and reads do to a cached copy. */
import { describe, expect, it } from 'vitest';
import {
  CustomerCache,
  type CustomerSnapshot,
  cachedCustomer,
  searchIndex,
} from '../../src/solarproof/customer-cache.js';
import { type CustomerSummary, parseQuery } from '../../src/solarproof/matching.js';

const ACCOUNT = 'https://solarproof.com.au/ 0123456789abcdef';

const john: CustomerSummary = {
  pkcustomerid: 79461,
  firstname: 'John',
  surname: 'Smith',
  email: 'john.smith@example.com',
  phone1: '0412345678',
  phone2: '0298765432',
  companyname: 'Smith Solar Solutions',
  companyphone: '1300123456',
  type: 'RESIDENTIAL',
  gststatus: 1,
  status: 'Signed',
  creationDate: '2025-03-14 09:26:53',
};

function snapshot(readAt: number): CustomerSnapshot {
  return {
    customers: new Map([[79461, cachedCustomer(john)]]),
    pages: 1,
    complete: true,
    stop: 'end',
    readAt,
  };
}

describe('CustomerCache', () => {
  it('answers while fresh, and forgets the list once the TTL has passed', () => {
    let now = 1_000_000;
    const cache = new CustomerCache(300, () => now);
    cache.set(ACCOUNT, snapshot(now));
    now += 299_999;
    expect(cache.get(ACCOUNT)?.customers.size).toBe(1);
    expect(cache.ageSeconds(cache.get(ACCOUNT) as CustomerSnapshot)).toBe(299);
    now += 1;
    expect(cache.get(ACCOUNT)).toBeUndefined();
  });

  it('keeps accounts apart', () => {
    const cache = new CustomerCache(300, () => 0);
    cache.set(ACCOUNT, snapshot(0));
    expect(cache.get('https://other.example/ ffff')).toBeUndefined();
  });

  it('a TTL of 0 keeps nothing', () => {
    const cache = new CustomerCache(0, () => 0);
    cache.set(ACCOUNT, snapshot(0));
    expect(cache.enabled).toBe(false);
    expect(cache.get(ACCOUNT)).toBeUndefined();
  });

  it('patch writes the fields sent over the cached copy, and its search keys follow', () => {
    const cache = new CustomerCache(300, () => 0);
    cache.set(ACCOUNT, snapshot(0));
    cache.patch(ACCOUNT, 79461, { phone1: '0400 999 888', gststatus: 0 });
    const cached = cache.get(ACCOUNT)?.customers.get(79461);
    expect(cached?.summary).toMatchObject({ phone1: '0400 999 888', gststatus: 0, phone2: '0298765432' });
    expect(cached?.keys.phones.map((p) => p.digits)).toContain('0400999888');
    expect(cached?.keys.phones.map((p) => p.digits)).not.toContain('0412345678');
  });

  it('patch ignores customers it does not hold, and never changes the id', () => {
    const cache = new CustomerCache(300, () => 0);
    cache.set(ACCOUNT, snapshot(0));
    cache.patch(ACCOUNT, 1, { firstname: 'Nobody' });
    cache.patch(ACCOUNT, 79461, { pkcustomerid: 5 } as Partial<CustomerSummary>);
    expect(cache.get(ACCOUNT)?.customers.size).toBe(1);
    expect(cache.get(ACCOUNT)?.customers.get(79461)?.summary.pkcustomerid).toBe(79461);
  });

  it('remember replaces the cached copy with a record read whole, or adds a new customer', () => {
    const cache = new CustomerCache(300, () => 0);
    cache.remember(ACCOUNT, john); // no list yet: nothing to keep fresh
    expect(cache.get(ACCOUNT)).toBeUndefined();
    cache.set(ACCOUNT, snapshot(0));
    cache.remember(ACCOUNT, { ...john, firstname: 'Jon' });
    cache.remember(ACCOUNT, { ...john, pkcustomerid: 90001, email: 'new@example.com' });
    expect(cache.get(ACCOUNT)?.customers.get(79461)?.summary.firstname).toBe('Jon');
    expect(cache.get(ACCOUNT)?.customers.get(90001)?.summary.email).toBe('new@example.com');
  });

  it('a search after patch or remember sees the change: the list laid out for search is built anew', () => {
    const cache = new CustomerCache(300, () => 0);
    cache.set(ACCOUNT, snapshot(0));
    const found = (query: string) =>
      searchIndex(cache.get(ACCOUNT) as CustomerSnapshot)
        .candidates(parseQuery(query))
        .map((c) => c.summary.pkcustomerid);
    expect(found('smith')).toEqual([79461]);
    cache.patch(ACCOUNT, 79461, { surname: 'Jones', phone1: '0400 999 888' });
    expect(found('smith')).toEqual([79461]); // still in the company name
    expect(found('jones')).toEqual([79461]);
    expect(found('0400 999 888')).toEqual([79461]);
    expect(found('0412 345 678')).toEqual([]);
    cache.remember(ACCOUNT, { ...john, pkcustomerid: 90001, firstname: 'Zelda', email: 'zelda@example.com' });
    expect(found('zelda')).toEqual([90001]);
  });

  it('keeps only the summary: a full record’s notes and projects are not held', () => {
    const full = { ...john, notes: [{ datetime: null, note: 'x'.repeat(10_000) }], projects: [] };
    const cached = cachedCustomer(full as CustomerSummary);
    expect(Object.keys(cached.summary)).not.toContain('notes');
    expect(JSON.stringify(cached).length).toBeLessThan(1_000);
  });
});
