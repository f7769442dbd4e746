/**
 * The fast paths of a search only rule customers out cheaply: the first pass (firstPass) and the
 * list laid out for search (SearchIndex) must never rule out one the full rules match, or
 * find_customers would miss customers, and must leave the order as it was. Held to matchFully on
 * generated customers and on queries made from their own fields (parts, other case and accents,
 * other phone forms), where matches are common, and on unrelated text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CustomerSummary,
  firstPass,
  fold,
  matchCustomer,
  matchFully,
  parseQuery,
  rankMatches,
  SearchIndex,
  searchKeys,
} from '../../src/solarproof/matching.js';

const syllable = fc.constantFrom(
  'jo',
  'sé',
  'JOSÉ',
  'o’',
  "O'",
  'brien',
  'mc',
  ' ',
  '-',
  'smith',
  'Ng',
  'uyen',
  'ß',
  'æ',
  'ł',
  'solar',
  ' Pty Ltd',
  '.',
  '1',
  '42',
  '|',
);
const name = fc.array(syllable, { maxLength: 5 }).map((parts) => parts.join(''));
const phone = fc.oneof(
  fc.stringMatching(/^04\d{8}$/),
  fc.stringMatching(/^\+61 4\d{2} \d{3} \d{3}$/),
  fc.stringMatching(/^\(0[2-8]\) \d{4} \d{4}$/),
  fc.stringMatching(/^\d{4,12}$/),
  fc.constantFrom('', '0011 61 412 345 678', '+61 (0)4 1234 5678', '1300 123 456'),
);
const email = fc.oneof(
  fc
    .tuple(name, fc.constantFrom('@example.com', '@Sólar.com.au', ''))
    .map(([local, domain]) => local + domain),
  fc.constantFrom('', ' ', 'x@y'),
);

/** FAST_PATH_RUNS_SCALE=20 for a long hunt. */
const RUNS = (n: number) => n * Number(process.env.FAST_PATH_RUNS_SCALE ?? 1);

let nextId = 100;
const customer: fc.Arbitrary<CustomerSummary> = fc
  .record({
    firstname: fc.option(name),
    surname: fc.option(name),
    companyname: fc.option(name),
    email: fc.option(email),
    phone1: fc.option(phone),
    phone2: fc.option(phone),
    companyphone: fc.option(phone),
  })
  .map((fields) => ({
    pkcustomerid: nextId++,
    type: null,
    gststatus: null,
    status: null,
    creationDate: null,
    ...fields,
  }));

/** A query an assistant might type for this customer: a part of a field, changed a little. */
const queryFor = (c: CustomerSummary) => {
  const values = Object.values(c).filter((v) => v !== null && v !== '') as Array<string | number>;
  return fc
    .tuple(
      values.length > 0 ? fc.constantFrom(...values) : fc.constant('nothing to search for'),
      fc.nat(),
      fc.nat(),
      fc.constantFrom('same', 'upper', 'lower', 'plain', 'spaced'),
    )
    .map(([value, a, b, change]) => {
      const text = String(value);
      const from = a % (text.length + 1);
      const part = text.slice(from, from + 1 + (b % (text.length + 1)));
      if (change === 'upper') return part.toUpperCase();
      if (change === 'lower') return part.toLowerCase();
      if (change === 'plain') return part.normalize('NFD').replace(/\p{M}/gu, '');
      if (change === 'spaced') return part.split('').join(' ');
      return part;
    });
};

describe('the first pass of a search', () => {
  it('never rules out a customer the full rules match (queries made from the customer)', () => {
    let matched = 0;
    fc.assert(
      fc.property(
        customer.chain((c) => fc.tuple(fc.constant(c), queryFor(c))),
        ([c, raw]) => {
          const query = parseQuery(raw);
          const keys = searchKeys(c);
          const full = matchFully(query, keys);
          if (full) matched++;
          expect(firstPass(query)(keys) || full === undefined).toBe(true);
          expect(matchCustomer(query, keys)).toEqual(full);
        },
      ),
      { numRuns: RUNS(3_000) },
    );
    // Many of these queries match (about 40%): the property is not met by matching nothing.
    expect(matched).toBeGreaterThan(RUNS(900));
  });

  it('never rules out a customer the full rules match (unrelated queries)', () => {
    fc.assert(
      fc.property(customer, fc.oneof(name, phone, email, fc.string({ maxLength: 12 })), (c, raw) => {
        const query = parseQuery(raw);
        const keys = searchKeys(c);
        expect(firstPass(query)(keys) || matchFully(query, keys) === undefined).toBe(true);
      }),
      { numRuns: RUNS(3_000) },
    );
  });

  it('leaves the ranking as the full rules make it', () => {
    fc.assert(
      fc.property(fc.array(customer, { minLength: 1, maxLength: 30 }), fc.nat(), (customers, pick) => {
        const items = customers.map((summary) => ({ summary, keys: searchKeys(summary) }));
        const target = customers[pick % customers.length] as CustomerSummary;
        const query = parseQuery(target.surname ?? target.phone1 ?? String(target.pkcustomerid));
        const expected = items.filter((item) => matchFully(query, item.keys) !== undefined).length;
        expect(rankMatches(query, items)).toHaveLength(expected);
      }),
      { numRuns: RUNS(500) },
    );
  });
});

describe('the list laid out for search', () => {
  const blank = {
    firstname: null,
    surname: null,
    companyname: null,
    email: null,
    phone1: null,
    phone2: null,
    companyphone: null,
  };
  /** As a list can hold them: now and then a customer without an id, or with no text at all. */
  const listed = fc
    .tuple(customer, fc.constantFrom('as is', 'as is', 'as is', 'no id', 'blank'))
    .map(([summary, change]): CustomerSummary => {
      if (change === 'no id') return { ...summary, pkcustomerid: null };
      if (change === 'blank') return { ...summary, ...blank };
      return summary;
    });
  const list = fc
    .array(listed, { maxLength: 40 })
    .map((customers) => customers.map((summary) => ({ summary, keys: searchKeys(summary) })));
  const search = list.chain((items) =>
    fc.tuple(
      fc.constant(items),
      items.length > 0
        ? fc.oneof(
            fc.nat().chain((n) => queryFor(items[n % items.length]!.summary)),
            fc.nat().map((n) => String(items[n % items.length]!.summary.pkcustomerid)),
            fc.oneof(name, phone, email),
          )
        : fc.oneof(name, phone, email),
    ),
  );

  it('ranks exactly as a search of every customer does, in the same order', () => {
    let matched = 0;
    fc.assert(
      fc.property(search, ([items, raw]) => {
        const query = parseQuery(raw);
        const everyone = rankMatches(query, items);
        if (everyone.length > 0) matched++;
        expect(rankMatches(query, new SearchIndex(items).candidates(query))).toEqual(everyone);
      }),
      { numRuns: RUNS(2_000) },
    );
    expect(matched).toBeGreaterThan(RUNS(600));
  });

  it('after customers are changed or added (set), still ranks as a search of every customer does', () => {
    const changes = fc.array(fc.tuple(fc.nat(), customer, fc.boolean()), { maxLength: 8 });
    fc.assert(
      fc.property(search, changes, ([items, raw], edits) => {
        // As a snapshot holds them: by id, each id once.
        const byId = new Map<number | string, (typeof items)[number]>();
        for (const [i, item] of items.entries()) byId.set(item.summary.pkcustomerid ?? `no id ${i}`, item);
        const index = new SearchIndex(byId.values());
        for (const [n, summary, isNew] of edits) {
          const ids = [...byId.keys()].filter((key): key is number => typeof key === 'number');
          const id = isNew || ids.length === 0 ? 500_000 + (n % 5) : (ids[n % ids.length] as number);
          const changed = { ...summary, pkcustomerid: id };
          const item = { summary: changed, keys: searchKeys(changed) };
          byId.set(id, item);
          index.set(id, item);
        }
        const query = parseQuery(raw);
        expect(rankMatches(query, index.candidates(query))).toEqual(rankMatches(query, byId.values()));
      }),
      { numRuns: RUNS(1_500) },
    );
  });

  it('finds a customer by a part that is also at the end of the one before it', () => {
    const items = [
      { firstname: 'Anna', surname: 'Bell', phone1: '0412 345 678' },
      { firstname: 'Bella', surname: 'Anna', phone1: '0412 345 679' },
    ].map((fields, i) => {
      const summary = {
        pkcustomerid: i + 1,
        email: null,
        phone2: null,
        companyname: null,
        companyphone: null,
        type: null,
        gststatus: null,
        status: null,
        creationDate: null,
        ...fields,
      };
      return { summary, keys: searchKeys(summary) };
    });
    const index = new SearchIndex(items);
    const ids = (raw: string) => index.candidates(parseQuery(raw)).map((item) => item.summary.pkcustomerid);
    expect(ids('bell')).toEqual([1, 2]);
    expect(ids('anna')).toEqual([1, 2]);
    expect(ids('345 679')).toEqual([2]);
    expect(ids('2')).toEqual([2]);
    expect(ids('nobody')).toEqual([]);
  });
});

describe('folding ASCII text', () => {
  it('takes a shortcut that gives what the full folding gives', () => {
    // A trailing no-break space sends the text down the full path and folds to one space.
    const full = (text: string) => fold(`${text}\u00a0`).slice(0, -1);
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), (text) => {
        expect(fold(text)).toBe(full(text));
      }),
      { numRuns: RUNS(2_000) },
    );
    expect(fold("O'Brien-`Smith` ABC")).toBe('obrien-smith abc');
  });
});
