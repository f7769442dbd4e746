/** The search rules of find_customers, one by one, on plain data (no I/O in matching.ts). */
import { describe, expect, it } from 'vitest';
import {
  type CustomerSummary,
  canonicalPhone,
  foldWords,
  matchCustomer,
  parseQuery,
  rankMatches,
  searchKeys,
} from '../../src/solarproof/matching.js';

let nextId = 1;
function customer(fields: Partial<CustomerSummary>): CustomerSummary {
  return {
    pkcustomerid: nextId++,
    firstname: null,
    surname: null,
    email: null,
    phone1: null,
    phone2: null,
    companyname: null,
    companyphone: null,
    type: null,
    gststatus: null,
    status: null,
    creationDate: null,
    ...fields,
  };
}

const match = (query: string, fields: Partial<CustomerSummary>) =>
  matchCustomer(parseQuery(query), searchKeys(customer(fields)));

function rank(query: string, customers: CustomerSummary[]): Array<number | null> {
  const items = customers.map((summary) => ({ summary, keys: searchKeys(summary) }));
  return rankMatches(parseQuery(query), items).map((r) => r.item.summary.pkcustomerid);
}

describe('folding text', () => {
  it.each([
    ['José', ['jose']],
    ['O’Brien', ['obrien']],
    ["O'Brien", ['obrien']],
    ['  MARY-Jane   van der  Berg ', ['mary', 'jane', 'van', 'der', 'berg']],
    ['Müller & Søn Straße', ['muller', 'son', 'strasse']],
    ['Nguyễn', ['nguyen']],
    ['Café Lumière Pty. Ltd', ['cafe', 'lumiere', 'pty', 'ltd']],
    ['', []],
    ['—', []],
  ])('%j → %j', (text, words) => {
    expect(foldWords(text)).toEqual(words);
  });
});

describe('Australian phone numbers made one', () => {
  it.each([
    ['0412 345 678', '0412345678'],
    ['0412345678', '0412345678'],
    ['+61 412 345 678', '0412345678'],
    ['61412345678', '0412345678'],
    ['+61 (0)412 345 678', '0412345678'],
    ['0011 61 412 345 678', '0412345678'],
    ['(02) 9876 5432', '0298765432'],
    ['02 9876 5432', '0298765432'],
    ['+61 2 9876 5432', '0298765432'],
    ['1300 123 456', '1300123456'],
    ['1300.123-456', '1300123456'],
    ['０４１２３４５６７８', '0412345678'],
  ])('%j → %s', (text, digits) => {
    expect(canonicalPhone(text)).toBe(digits);
  });
});

describe('what a query is', () => {
  it.each([
    ['john.smith@example.com', 'email'],
    ['@example', 'email'],
    ['0412 345 678', 'phone'],
    ['+61412345678', 'phone'],
    ['345678', 'phone'],
    ['(02) 9876', 'phone'], // 6 digits of phone characters: the end of a number
    ['12345', 'text'], // under 6 digits: could be an id
    ['Smith Solar', 'text'],
    ['unit 4 solar', 'text'],
  ])('%j is %s', (query, kind) => {
    expect(parseQuery(query).kind).toBe(kind);
  });
});

describe('names: case, accents, apostrophes and spacing do not matter', () => {
  it.each([
    ['jose', { firstname: 'José' }, 'firstname'],
    ['JOSÉ', { firstname: 'jose' }, 'firstname'],
    ["o'brien", { surname: 'O’Brien' }, 'surname'],
    ['o’brien', { surname: "O'Brien" }, 'surname'],
    ['obrien', { surname: 'O’Brien' }, 'surname'],
    ['  smith  ', { surname: 'Smith' }, 'surname'],
    ['mc donald', { surname: 'McDonald' }, 'surname'],
    ['mcdonald', { surname: 'Mc Donald' }, 'surname'],
    ['cafe lumiere', { companyname: 'Café Lumière Pty Ltd' }, 'companyname'],
    ['nguyen', { surname: 'Nguyễn' }, 'surname'],
  ])('%j finds %j', (query, fields, field) => {
    expect(match(query, fields)?.matched).toContain(field);
  });

  it('several words match when every word is found, in any order, across names and company', () => {
    const john = { firstname: 'John', surname: 'Smith', companyname: 'Smith Solar Solutions' };
    expect(match('john smith', john)).toMatchObject({ kind: 'exact' });
    expect(match('smith john', john)).toMatchObject({ kind: 'exact' });
    expect(match('Smith Solar', john)).toMatchObject({ kind: 'prefix', matched: ['surname', 'companyname'] });
    expect(match('john solar', john)?.matched).toEqual(['firstname', 'companyname']);
    expect(match('john jones', john)).toBeUndefined();
    expect(match('smith solar pty', john)).toBeUndefined();
  });

  it('spacing does not matter inside a word either: "smithsolar" starts "Smith Solar Solutions"', () => {
    expect(match('smithsolar', { companyname: 'Smith Solar Solutions' })).toEqual({
      kind: 'prefix',
      matched: ['companyname'],
    });
    expect(match('solarsol', { companyname: 'Smith Solar Solutions' })).toMatchObject({ kind: 'fragment' });
  });

  it('a query of punctuation alone matches nobody (no word is not every word)', () => {
    expect(match('—', { firstname: 'John' })).toBeUndefined();
    expect(match("'", { surname: 'O’Brien' })).toBeUndefined();
  });
});

describe('phones compare by digits', () => {
  it.each([
    ['0412 345 678', '0412345678'],
    ['+61 412 345 678', '0412345678'],
    ['61412345678', '0412 345 678'],
    ['0412345678', '+61 412 345 678'],
    ['(02) 9876 5432', '0298765432'],
    ['0298765432', '(02) 9876 5432'],
  ])('%j finds %j exactly', (query, stored) => {
    expect(match(query, { phone1: stored })).toEqual({ kind: 'exact', matched: ['phone1'] });
  });

  it('a phone query looks in phone1, phone2 and companyphone', () => {
    expect(match('0298765432', { phone2: '02 9876 5432' })?.matched).toEqual(['phone2']);
    expect(match('1300 123 456', { companyphone: '1300123456' })?.matched).toEqual(['companyphone']);
    expect(
      match('0412345678', { phone1: '0412345678', phone2: '0412 345 678', companyphone: '+61412345678' })
        ?.matched,
    ).toEqual(['phone1', 'phone2', 'companyphone']);
  });

  it('6 digits or more match the end of a phone; fewer, or digits that are not its end, do not', () => {
    expect(match('345 678', { phone1: '0412 345 678' })).toEqual({ kind: 'fragment', matched: ['phone1'] });
    expect(match('412 345 678', { phone1: '+61412345678' })).toMatchObject({ kind: 'fragment' });
    expect(match('45 678', { phone1: '0412 345 678' })).toBeUndefined();
    expect(match('0412 345', { phone1: '0412 345 678' })).toBeUndefined();
  });

  it('a number stored without its area code is the end of the query', () => {
    expect(match('(02) 9876 5432', { phone1: '9876 5432' })).toMatchObject({ kind: 'fragment' });
  });

  it('a phone query never matches names or emails', () => {
    expect(match('0412345678', { email: '0412345678@example.com', firstname: '0412345678' })).toBeUndefined();
  });
});

describe('emails', () => {
  it('an email query matches exactly first, then as a fragment', () => {
    const people = [
      customer({ email: 'ann.smith@example.com.au' }),
      customer({ email: 'john.smith@example.com' }),
      customer({ email: 'JOHN.SMITH@example.com.au' }),
    ];
    expect(rank('john.smith@example.com', people)).toEqual([
      people[1]?.pkcustomerid,
      people[2]?.pkcustomerid,
    ]);
    expect(match('John.Smith@Example.com', { email: 'john.smith@example.com' })).toEqual({
      kind: 'exact',
      matched: ['email'],
    });
    expect(match('@example.com', { email: 'john.smith@example.com' })).toEqual({
      kind: 'fragment',
      matched: ['email'],
    });
  });

  it('a text query also finds part of an email', () => {
    expect(match('john.smith', { email: 'john.smith@example.com' })).toEqual({
      kind: 'prefix',
      matched: ['email'],
    });
    expect(match('example.net', { email: 'mei.chen@example.net' })?.matched).toEqual(['email']);
  });
});

describe('ids', () => {
  it('a number equal to the id is an exact match', () => {
    const c = customer({ firstname: 'Ann' });
    expect(matchCustomer(parseQuery(String(c.pkcustomerid)), searchKeys(c))).toEqual({
      kind: 'exact',
      matched: ['pkcustomerid'],
    });
  });
});

describe('ranking', () => {
  it('exact, then prefix, then fragment', () => {
    const goldsmith = customer({ surname: 'Goldsmith', creationDate: '2026-01-01 00:00:00' });
    const smithers = customer({ surname: 'Smithers', creationDate: '2026-01-01 00:00:00' });
    const smith = customer({ surname: 'Smith', creationDate: '2020-01-01 00:00:00' });
    expect(rank('smith', [goldsmith, smithers, smith])).toEqual([
      smith.pkcustomerid,
      smithers.pkcustomerid,
      goldsmith.pkcustomerid,
    ]);
  });

  it('the whole name is exact; one whole word of it is a prefix match', () => {
    expect(match('john smith', { firstname: 'John', surname: 'Smith' })?.kind).toBe('exact');
    expect(match('john smi', { firstname: 'John', surname: 'Smith' })?.kind).toBe('prefix');
    expect(match('john mit', { firstname: 'John', surname: 'Smith' })?.kind).toBe('fragment');
  });

  it('ties by most recent creation date, then by id; no date last', () => {
    const old = customer({ surname: 'Smith', creationDate: '2023-05-01 10:00:00' });
    const undated = customer({ surname: 'Smith' });
    const recent = customer({ surname: 'Smith', creationDate: '2025-11-30 09:00:00' });
    const sameDayLater = customer({ surname: 'Smith', creationDate: '2025-11-30 17:30:00' });
    expect(rank('smith', [old, undated, recent, sameDayLater])).toEqual([
      sameDayLater.pkcustomerid,
      recent.pkcustomerid,
      old.pkcustomerid,
      undated.pkcustomerid,
    ]);
  });
});
