/**
 * find_customers end to end: the built server over stdio, reading the stand-in's 117 seeded
 * customers (three Get All Customers pages). Every matching rule, the ranking, the output and bad
 * input. The cache is off here (TTL 0), so every search really reads the pages; paging, caps,
 * progress and the cache have their own file (find-customers-scan.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  type ServerProcess,
  structured,
  textData,
  useStandInAndInProcessServer,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
useStandInAndInProcessServer({ SOLARPROOF_CACHE_TTL_SECONDS: '0', SOLARPROOF_TIMEOUT_MS: '5000' }, (s, p) => {
  standIn = s;
  server = p;
});

interface Found {
  pkcustomerid: number;
  firstname: string;
  surname: string;
  companyname: string;
  match: string;
  matched: string[];
  [field: string]: unknown;
}

async function find(query: string, limit?: number) {
  const result = await server.callTool('find_customers', limit === undefined ? { query } : { query, limit });
  expect(result.isError, JSON.stringify(result).slice(0, 400)).toBeFalsy();
  const data = structured(result);
  return { result, data, customers: data.customers as Found[] };
}
const ids = (customers: Found[]) => customers.map((c) => c.pkcustomerid);

describe('tools/list', () => {
  it('publishes find_customers: read-only, idempotent, open world, a small portable schema', async () => {
    const { tools } = await server.client.listTools();
    const tool = tools.find((t) => t.name === 'find_customers');
    expect(tool?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    });
    const input = tool?.inputSchema as Record<string, any>;
    expect(input.required).toEqual(['query']);
    expect(input.additionalProperties).toBe(false);
    expect(input.properties.query).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
    expect(input.properties.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 25 });
    expect(JSON.stringify(input)).not.toMatch(/exclusiveMinimum|oneOf|anyOf|\$schema/);
    expect(tool?.description).toMatch(/get_customer/);
  });

  it('each of the lookup tools stays within 2,000 characters of name, description and input schema', async () => {
    const { tools } = await server.client.listTools();
    for (const name of ['get_customer', 'find_customers']) {
      const tool = tools.find((t) => t.name === name);
      const size = JSON.stringify({ name, description: tool?.description, inputSchema: tool?.inputSchema });
      expect(size.length, name).toBeLessThanOrEqual(2_000);
    }
    // get_customer says when to use which lookup.
    const get = tools.find((t) => t.name === 'get_customer');
    expect(get?.description).toMatch(/find_customers/);
    expect(get?.description).toMatch(/projectId/);
  });
});

describe('the upstream requests', () => {
  it('reads Get All Customers page by page until the short last page', async () => {
    const { data } = await find('smith');
    const pages = standIn.requests.map((r) => r.query);
    for (const query of pages) expect(query.action).toBe('getallcustomers');
    expect(standIn.requests.every((r) => r.method === 'GET' && r.rawBody === '')).toBe(true);
    expect(pages.map((q) => q.page).slice(0, 3)).toEqual(['1', '2', '3']);
    expect(data.scan).toEqual({
      pages: 3,
      customers: 117,
      complete: true,
      stoppedBy: 'end',
      cachedSeconds: 0,
    });
  });
});

describe('matching', () => {
  it.each([
    ['jose', 84101, 'firstname'],
    ['JOSÉ ÁLVAREZ', 84101, 'surname'],
    ["o'brien", 84102, 'surname'],
    ['O’BRIEN', 84102, 'surname'],
    ['obrien', 84102, 'surname'],
    ['zoe nguyen', 84107, 'firstname'],
    ['renee dsouza', 84108, 'surname'],
    ["d'souza", 84108, 'surname'],
    ['mc donald', 84109, 'surname'],
    ['cafe lumiere', 84110, 'companyname'],
    ['  Siobhan   Kelly ', 84112, 'surname'],
  ])('case, accents, apostrophes and spacing do not matter: %j finds %i', async (query, id, field) => {
    const { customers } = await find(query);
    const hit = customers.find((c) => c.pkcustomerid === id);
    expect(hit, JSON.stringify(customers)).toBeDefined();
    expect(hit?.matched).toContain(field);
  });

  it.each(['john smith', 'smith john', 'John  SMITH'])(
    'several words match in any order: %j',
    async (query) => {
      const { customers } = await find(query);
      expect(ids(customers)).toEqual([79461]);
      expect(customers[0]).toMatchObject({
        match: 'exact',
        matched: expect.arrayContaining(['firstname', 'surname']),
      });
    },
  );

  it('words may come from the company: "Smith Solar" finds Smith Solar Solutions', async () => {
    const { customers } = await find('Smith Solar');
    expect(ids(customers)).toEqual([79461]);
    expect(customers[0]?.matched).toContain('companyname');
    expect(customers[0]?.companyname).toBe('Smith Solar Solutions');
  });

  it('every word must match: a word nobody has finds nothing', async () => {
    const { customers, data } = await find('john zzyzx');
    expect(customers).toEqual([]);
    expect(data.totalMatches).toBe(0);
  });

  it.each([
    ['0412 345 678', 79461, 'phone1'],
    ['+61 412 345 678', 79461, 'phone1'],
    ['61412345678', 79461, 'phone1'],
    ['(02) 9876 5432', 79461, 'phone2'],
    ['0298765432', 79461, 'phone2'],
    ['1300 123 456', 79461, 'companyphone'],
    // stored as "+61 412 555 019", "61412987654", "(08) 9325 4410", "+61 3 9690 1122"
    ['0412555019', 84101, 'phone1'],
    ['0412 987 654', 84103, 'phone1'],
    ['08 9325 4410', 84108, 'phone1'],
    ['(03) 9690 1122', 84110, 'companyphone'],
    ['+61433221908', 80125, 'phone1'],
  ])('phones compare by digits in any Australian form: %j finds %i in %s', async (query, id, field) => {
    const { customers } = await find(query);
    expect(ids(customers)).toEqual([id]);
    expect(customers[0]).toMatchObject({ match: 'exact', matched: [field] });
  });

  it('a partial number of 6 digits or more matches the end of a phone', async () => {
    const { customers } = await find('345 678');
    expect(ids(customers)).toEqual([79461]);
    expect(customers[0]).toMatchObject({ match: 'fragment', matched: ['phone1'] });
    expect((await find('45 678')).customers).toEqual([]);
  });

  it('an email matches exactly first, then as a fragment', async () => {
    const exact = await find('john.smith@example.com');
    expect(ids(exact.customers)).toEqual([79461]);
    expect(exact.customers[0]).toMatchObject({ match: 'exact', matched: ['email'] });
    const part = await find('@example.net');
    expect(ids(part.customers).sort()).toEqual([80125, 84103, 84108]);
    expect(part.customers.every((c) => c.match === 'fragment')).toBe(true);
    const local = await find('mei.chen');
    expect(ids(local.customers)).toEqual([80125]);
    expect(local.customers[0]?.matched).toEqual(['firstname', 'surname', 'email']);
  });

  it('an id finds that customer', async () => {
    const { customers } = await find('81307');
    expect(ids(customers)).toEqual([81307]);
    expect(customers[0]).toMatchObject({ match: 'exact', matched: ['pkcustomerid'] });
  });
});

describe('ranking', () => {
  it('exact matches first, then prefix, then fragment; the newest first among equals', async () => {
    const { customers, data } = await find('smith', 25);
    const kinds = customers.map((c) => c.match);
    expect(kinds).toEqual([...kinds].sort((a, b) => rank(a) - rank(b)));
    const exact = customers.filter((c) => c.match === 'exact');
    expect(exact.every((c) => c.surname === 'Smith')).toBe(true);
    expect(ids(customers)).toContain(84104); // Smithers: prefix
    expect(customers.find((c) => c.pkcustomerid === 84104)?.match).toBe('prefix');
    expect(customers.at(-1)).toMatchObject({ pkcustomerid: 84105, match: 'fragment' }); // Goldsmith
    // Among the exact ones, newest first: Sarah Smith (2026-01-12) before John (2025-03-14) before Peter (2023-11-08).
    const order = ids(exact);
    expect(order.indexOf(84103)).toBeLessThan(order.indexOf(79461));
    expect(order.indexOf(79461)).toBeLessThan(order.indexOf(84106));
    expect(data.totalMatches).toBe(customers.length);
  });
});

function rank(kind: string): number {
  return ['exact', 'prefix', 'fragment'].indexOf(kind);
}

describe('the result', () => {
  it('each match is a small summary in update_customer’s names, with what matched', async () => {
    const { result, data, customers } = await find('Smith Solar Solutions');
    expect(customers[0]).toEqual({
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
      match: 'exact',
      matched: ['surname', 'companyname'],
    });
    expect(data).toMatchObject({ ok: true, mode: 'live', totalMatches: 1 });
    expect(data.message).toBe(
      '1 customer matches "Smith Solar Solutions" (searched 117 customers from 3 pages).',
    );
    expect(data.suggestion).toBeUndefined();
    expect(textData(result)).toEqual(data);
    // Notes and projects are left out: get_customer gives the whole record.
    expect(JSON.stringify(data)).not.toMatch(/notes|projects|battery quote/);
  });

  it('limit caps the list; totalMatches counts them all, and the suggestion says how to narrow it', async () => {
    const { customers, data } = await find('smith', 2);
    expect(customers).toHaveLength(2);
    expect(data.totalMatches).toBeGreaterThan(2);
    expect(String(data.message)).toMatch(/best 2 shown/);
    expect(String(data.suggestion)).toMatch(/narrow/);
  });

  it('at most 10 by default, and the result stays small', async () => {
    const { customers, result } = await find('a');
    expect(customers).toHaveLength(10);
    expect(JSON.stringify(result).length).toBeLessThan(12_000);
  });

  it('no match is a success with an empty list and a suggestion, not an error', async () => {
    const { result, data } = await find('Wolfeschlegelstein');
    expect(result.isError).toBeFalsy();
    expect(data).toMatchObject({ ok: true, customers: [], totalMatches: 0 });
    expect(String(data.message)).toMatch(/^No customer matches "Wolfeschlegelstein"/);
    expect(String(data.suggestion)).toMatch(/fewer words.*spelling.*phone number/);
  });
});

describe('bad input: INVALID_ARGUMENTS and nothing is requested', () => {
  it.each<[string, Record<string, unknown>]>([
    ['an empty query', { query: '' }],
    ['a whitespace-only query', { query: ' \t  ' }],
    ['invisible characters only', { query: '\u200b\u00a0' }],
    ['control characters', { query: '\u0000\u0007' }],
    ['a control character inside', { query: 'john\nsmith' }],
    ['a bidi override', { query: 'smith\u202e' }],
    ['a lone surrogate', { query: 'jo\ud800se' }],
    ['201 characters', { query: 'a'.repeat(201) }],
    ['no query', {}],
    ['a query that is not text', { query: 79461 }],
    ['limit 0', { query: 'smith', limit: 0 }],
    ['limit 26', { query: 'smith', limit: 26 }],
    ['a fractional limit', { query: 'smith', limit: 2.5 }],
    ['an unknown argument', { query: 'smith', page: 2 }],
  ])('%s', async (_label, args) => {
    const result = await server.callTool('find_customers', args);
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS', retryable: false });
    expect(standIn.requests).toHaveLength(0);
  });

  it('200 characters is accepted', async () => {
    const { data } = await find('a'.repeat(200));
    expect(data.totalMatches).toBe(0);
  });
});
