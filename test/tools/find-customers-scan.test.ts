/**
 * find_customers reading the account: paging and its end conditions, the caps, a failing page,
 * bounded concurrency, cancellation, progress notifications and the cache. The built server over
 * stdio against the stand-in; each test starts a server process with the settings it needs (the
 * cache and the id-lookup state live per process).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGetCustomerShape } from '../../src/sandbox/api.js';
import type { SandboxCustomer } from '../../src/sandbox/customers.js';
import { SCAN_CONCURRENCY } from '../../src/solarproof/customer-directory.js';
import {
  answer,
  envFor,
  expectNoKey,
  type ServerProcess,
  startInProcessServer,
  startStandIn,
  structured,
} from '../helpers/harness.js';
import { type Behaviour, type StandIn, send } from '../helpers/stand-in.js';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterEach(async () => {
  // Pages still in flight when a scan ended reach the stand-in a moment later; let them land here,
  // not in the next test's count.
  for (let seen = -1, waited = 0; seen !== standIn.requests.length && waited < 1_000; waited += 50) {
    seen = standIn.requests.length;
    await sleep(50);
  }
  standIn.reset();
});
afterAll(async () => {
  await standIn.close();
});

/** A server of its own with these settings, closed and checked for the key afterwards. */
async function withServer(env: Record<string, string>, run: (server: ServerProcess) => Promise<void>) {
  const server = await startInProcessServer(envFor(standIn, { SOLARPROOF_TIMEOUT_MS: '8000', ...env }));
  try {
    await run(server);
  } finally {
    await server.close();
    for (const result of server.results) expectNoKey(result);
    expectNoKey(server.stderr());
  }
}

const pageRequests = () => standIn.requests.filter((r) => r.query.action === 'getallcustomers');
const pagesAsked = () => pageRequests().map((r) => Number(r.query.page));
const isPage = (request: { query: Record<string, string> }) => request.query.action === 'getallcustomers';

async function find(server: ServerProcess, query: string, limit?: number) {
  const result = await server.callTool('find_customers', limit === undefined ? { query } : { query, limit });
  return { result, data: structured(result) as Record<string, any> };
}

/** The customers the stand-in would list, in its page order. */
function sortedCustomers(): SandboxCustomer[] {
  return [...standIn.customers.values()].sort((a, b) => a.pkcustomerid - b.pkcustomerid);
}

/** More customers in the stand-in (the seed has 117: three pages), so a scan has more pages to read. */
function addCustomers(count: number): void {
  const template = standIn.customers.get(80125) as SandboxCustomer;
  for (let i = 0; i < count; i++) {
    const id = 90_000 + i;
    standIn.customers.set(id, {
      ...structuredClone(template),
      pkcustomerid: id,
      firstname: `Extra${i}`,
      email: `extra${i}@example.com`,
      phone1: `0499 ${String(100_000 + i).slice(0, 3)} ${String(100_000 + i).slice(3)}`,
    });
  }
}

/** Every page request goes through `onPage`; returning false lets the contract answer it. */
function onPages(onPage: (page: number, ...rest: Parameters<Behaviour>) => boolean | Promise<boolean>) {
  standIn.setBehaviour((req, res, recorded) =>
    isPage(recorded) ? onPage(Number(recorded.query.page), req, res, recorded) : false,
  );
}

describe('paging: where a scan ends', () => {
  it('a page of fewer than 50 ends it: 117 customers are three pages, read in full', async () => {
    await withServer({}, async (server) => {
      const { data } = await find(server, 'smith');
      expect(data.scan).toEqual({
        pages: 3,
        customers: 117,
        complete: true,
        stoppedBy: 'end',
        cachedSeconds: 0,
      });
      expect(pagesAsked().slice(0, 3)).toEqual([1, 2, 3]);
      // A few pages are in flight at once, so a couple past the end may be asked, never more than that.
      expect(Math.max(...pagesAsked())).toBeLessThanOrEqual(3 + SCAN_CONCURRENCY - 1);
    });
  });

  it('an empty page ends it: exactly 100 customers are two full pages, then []', async () => {
    for (const customer of sortedCustomers().slice(100)) standIn.customers.delete(customer.pkcustomerid);
    expect(standIn.customers.size).toBe(100);
    await withServer({}, async (server) => {
      const { data } = await find(server, 'smith');
      expect(data.scan).toMatchObject({ pages: 3, customers: 100, complete: true, stoppedBy: 'end' });
      expect(Math.max(...pagesAsked())).toBeLessThanOrEqual(3 + SCAN_CONCURRENCY - 1);
    });
  });

  it('a page that adds no new id ends it: a service repeating its last page does not run to the cap', async () => {
    const second = sortedCustomers().slice(50, 100).map(toGetCustomerShape);
    onPages((page, _req, res) => {
      if (page < 2) return false;
      send(res, 200, second);
      return true;
    });
    await withServer({}, async (server) => {
      const { data } = await find(server, 'smith');
      expect(data.scan).toMatchObject({ pages: 3, customers: 100, complete: true, stoppedBy: 'end' });
      expect(Math.max(...pagesAsked())).toBeLessThanOrEqual(3 + SCAN_CONCURRENCY - 1);
    });
  });

  it('the page cap (SOLARPROOF_SCAN_MAX_PAGES) ends it early: complete false and a suggestion', async () => {
    const last = sortedCustomers().at(-1) as SandboxCustomer;
    await withServer({ SOLARPROOF_SCAN_MAX_PAGES: '2' }, async (server) => {
      const { result, data } = await find(server, last.email);
      expect(result.isError).toBeFalsy();
      expect(data.scan).toMatchObject({ pages: 2, customers: 100, complete: false, stoppedBy: 'page-cap' });
      // The customer on page 3 was never read: not found, and the result says it may be missing.
      expect(data.totalMatches).toBe(0);
      expect(String(data.suggestion)).toMatch(/SOLARPROOF_SCAN_MAX_PAGES/);
      expect(new Set(pagesAsked())).toEqual(new Set([1, 2]));
    });
  });

  it('the time cap (SOLARPROOF_SCAN_TIMEOUT_MS) ends a slow scan with what was read, never a hang', async () => {
    onPages((page) => page >= 2); // page 1 answers; every later page never does
    await withServer({ SOLARPROOF_SCAN_TIMEOUT_MS: '1500' }, async (server) => {
      const started = performance.now();
      const { result, data } = await find(server, 'john smith');
      const elapsed = performance.now() - started;
      expect(result.isError).toBeFalsy();
      expect(data.scan).toMatchObject({ pages: 1, customers: 50, complete: false, stoppedBy: 'time-cap' });
      expect(data.customers.map((c: { pkcustomerid: number }) => c.pkcustomerid)).toEqual([79461]);
      expect(String(data.suggestion)).toMatch(/SOLARPROOF_SCAN_TIMEOUT_MS/);
      expect(elapsed).toBeGreaterThan(1_400);
      expect(elapsed).toBeLessThan(7_500);
      // The pages that never answered were given up, not left open.
      await expect
        .poll(() =>
          pageRequests()
            .filter((r) => Number(r.query.page) >= 2)
            .every((r) => r.abortedByClient),
        )
        .toBe(true);

      // An incomplete list is not cached: the next search reads again.
      standIn.setBehaviour(undefined);
      standIn.requests.length = 0;
      const again = await find(server, 'john smith');
      expect(again.data.scan).toMatchObject({ complete: true, cachedSeconds: 0 });
      expect(pageRequests().length).toBeGreaterThan(0);
    });
  });

  it('a page that fails in the middle gives a partial result marked incomplete, never a silent gap', async () => {
    onPages((page, _req, res) => {
      if (page !== 2) return false;
      send(res, 503, { error: 'maintenance' });
      return true;
    });
    await withServer({}, async (server) => {
      const { result, data } = await find(server, 'smith', 25);
      expect(result.isError).toBeFalsy();
      // Only page 1: pages 3 and later answered, but a gap in the middle is not papered over.
      expect(data.scan).toMatchObject({ pages: 1, customers: 50, complete: false, stoppedBy: 'page-error' });
      expect(String(data.suggestion)).toMatch(/^Page 2 failed \(UPSTREAM_UNAVAILABLE: .*\)/);
      expect(String(data.suggestion)).toMatch(/matches may be missing/);
      // The failing page had the client's usual retries.
      expect(pagesAsked().filter((page) => page === 2)).toHaveLength(3);
      const page1 = new Set(
        sortedCustomers()
          .slice(0, 50)
          .map((c) => c.pkcustomerid),
      );
      for (const customer of data.customers) expect(page1.has(customer.pkcustomerid)).toBe(true);

      standIn.setBehaviour(undefined);
      const again = await find(server, 'smith');
      expect(again.data.scan).toMatchObject({ complete: true, customers: 117 });
    });
  });

  it('a failing first page is an error with a search hint: nothing was read', async () => {
    onPages((_page, _req, res) => {
      send(res, 503, { error: 'maintenance' });
      return true;
    });
    await withServer({}, async (server) => {
      const { result, data } = await find(server, 'smith');
      expect(result.isError).toBe(true);
      expect(data).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE', retryable: true });
      expect(String(data.hint)).toMatch(/lookup changes nothing/);
    });
  });

  it('a bad key on the first page is INVALID_API_KEY, as for every call', async () => {
    standIn.once(answer(401, { code: 'API_KEY_INVALID', message: 'Invalid API key' }));
    await withServer({}, async (server) => {
      const { data } = await find(server, 'smith');
      expect(data).toMatchObject({ ok: false, code: 'INVALID_API_KEY' });
    });
  });

  it('"not found" for a page past the end is taken as the end of the list', async () => {
    for (const customer of sortedCustomers().slice(100)) standIn.customers.delete(customer.pkcustomerid);
    onPages((page, _req, res) => {
      if (page < 3) return false;
      send(res, 404, { code: 'CUSTOMER_NOT_FOUND', message: 'No customers on this page' });
      return true;
    });
    await withServer({}, async (server) => {
      const { data } = await find(server, 'smith');
      expect(data.scan).toMatchObject({ pages: 2, customers: 100, complete: true, stoppedBy: 'end' });
    });
  });
});

describe('concurrency and cancellation', () => {
  it(`pages are requested a few at a time: more than one in flight, never more than ${SCAN_CONCURRENCY}`, async () => {
    addCustomers(400); // 517 customers: 11 pages
    let inFlight = 0;
    let most = 0;
    onPages(async (_page, _req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      res.on('close', () => inFlight--);
      await sleep(500);
      return false;
    });
    await withServer({ SOLARPROOF_CACHE_TTL_SECONDS: '0' }, async (server) => {
      const { data } = await find(server, 'extra399');
      expect(data.scan).toMatchObject({ pages: 11, customers: 517, complete: true });
      expect(data.customers.map((c: { firstname: string }) => c.firstname)).toEqual(['Extra399']);
      expect(most).toBe(SCAN_CONCURRENCY);
    });
  });

  it('cancelling mid-scan stops further page requests at once', async () => {
    addCustomers(400);
    onPages(async () => {
      await sleep(1_000);
      return false;
    });
    await withServer({}, async (server) => {
      const controller = new AbortController();
      const call = server.client.callTool(
        { name: 'find_customers', arguments: { query: 'smith' } },
        undefined,
        {
          signal: controller.signal,
        },
      );
      await standIn.waitForRequests(1);
      await sleep(100);
      controller.abort();
      await expect(call).rejects.toThrow();
      const askedAtCancel = pageRequests().length;
      expect(askedAtCancel).toBeLessThanOrEqual(SCAN_CONCURRENCY);
      await sleep(1_500);
      // Nothing more was asked, and what was in flight was abandoned.
      expect(pageRequests().length).toBe(askedAtCancel);
      await expect.poll(() => pageRequests().every((r) => r.abortedByClient)).toBe(true);
      await expect.poll(() => server.stderr()).toMatch(/"code":"CANCELLED"/);

      // The server is fine afterwards, and the cancelled scan left no list behind.
      standIn.setBehaviour(undefined);
      const { data } = await find(server, 'john smith');
      expect(data).toMatchObject({ ok: true, scan: { complete: true, customers: 517, cachedSeconds: 0 } });
    });
  });
});

describe('progress notifications', () => {
  /** Every progress notification as it arrived on the client's transport, before the SDK handles it. */
  function recordProgress(server: ServerProcess): Array<Record<string, unknown>> {
    const transport = server.client.transport;
    if (!transport) throw new Error('no transport');
    const deliver = transport.onmessage;
    const seen: Array<Record<string, unknown>> = [];
    transport.onmessage = (message: JSONRPCMessage, extra?: unknown) => {
      if ('method' in message && message.method === 'notifications/progress') {
        seen.push(message.params as Record<string, unknown>);
      }
      (deliver as (m: JSONRPCMessage, e?: unknown) => void)?.(message, extra);
    };
    return seen;
  }

  it('with a progressToken: one per page, in order, customers read so far and a message', async () => {
    await withServer({ SOLARPROOF_CACHE_TTL_SECONDS: '0' }, async (server) => {
      const onWire = recordProgress(server);
      const delivered: Array<{ progress: number; total?: number; message?: string }> = [];
      const result = (await server.client.callTool(
        { name: 'find_customers', arguments: { query: 'smith' } },
        undefined,
        { onprogress: (progress) => delivered.push(progress) },
      )) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const expected = [
        { progress: 50, message: 'Read page 1: 50 customers so far' },
        { progress: 100, message: 'Read page 2: 100 customers so far' },
        { progress: 117, message: 'Read page 3: 117 customers so far' },
      ];
      // All sent before the result, with the client's token.
      const token = onWire[0]?.progressToken;
      expect(token).toBeDefined();
      expect(onWire).toEqual(expected.map((p) => ({ progressToken: token, ...p })));
      // The SDK Client hands them to onprogress in order, but may drop the last one when it arrives
      // in the same read as the result (typescript-sdk#2580): a prefix of what was sent.
      expect(delivered.length).toBeGreaterThanOrEqual(expected.length - 1);
      expect(delivered).toEqual(expected.slice(0, delivered.length));
    });
  });

  it('without a progressToken: none at all', async () => {
    await withServer({ SOLARPROOF_CACHE_TTL_SECONDS: '0' }, async (server) => {
      const onWire = recordProgress(server);
      const { data } = await find(server, 'smith');
      expect(data.scan).toMatchObject({ pages: 3 });
      await sleep(200);
      expect(onWire).toEqual([]);
    });
  });
});

describe('the cache', () => {
  it('answers the next search with no request, and says how old the list is', async () => {
    await withServer({}, async (server) => {
      const first = await find(server, 'smith');
      expect(first.data.scan).toMatchObject({ pages: 3, cachedSeconds: 0 });
      standIn.requests.length = 0;
      const second = await find(server, 'john smith');
      expect(standIn.requests).toHaveLength(0);
      expect(second.data).toMatchObject({
        ok: true,
        totalMatches: 1,
        scan: { pages: 3, customers: 117, complete: true },
      });
      expect(second.data.scan.cachedSeconds).toBeGreaterThanOrEqual(0);
      expect(String(second.data.message)).toMatch(/cached \d+ s ago/);
    });
  });

  it('honours its TTL: after SOLARPROOF_CACHE_TTL_SECONDS the list is read again', async () => {
    await withServer({ SOLARPROOF_CACHE_TTL_SECONDS: '1' }, async (server) => {
      await find(server, 'smith');
      standIn.requests.length = 0;
      await find(server, 'smith');
      expect(standIn.requests).toHaveLength(0);
      await sleep(1_100);
      const later = await find(server, 'smith');
      expect(pageRequests().length).toBeGreaterThanOrEqual(3);
      expect(later.data.scan.cachedSeconds).toBe(0);
    });
  });

  it('SOLARPROOF_CACHE_TTL_SECONDS=0 turns it off', async () => {
    await withServer({ SOLARPROOF_CACHE_TTL_SECONDS: '0' }, async (server) => {
      await find(server, 'smith');
      const firstScan = pageRequests().length;
      await find(server, 'smith');
      expect(pageRequests().length).toBeGreaterThanOrEqual(firstScan + 3);
    });
  });

  it('an update made through this server refreshes that customer in the cache', async () => {
    await withServer({}, async (server) => {
      expect((await find(server, '0433 221 908')).data.totalMatches).toBe(1);
      const update = await server.call({ pkcustomerid: 80125, phone1: '0400 999 888' });
      expect(structured(update)).toMatchObject({ ok: true });
      standIn.requests.length = 0;
      const found = await find(server, '+61 400 999 888');
      expect(standIn.requests).toHaveLength(0);
      expect(found.data.customers).toEqual([
        expect.objectContaining({ pkcustomerid: 80125, phone1: '0400 999 888', match: 'exact' }),
      ]);
      expect((await find(server, '0433 221 908')).data.totalMatches).toBe(0);
    });
  });

  it('an update made while a scan is reading is not undone by the pages read before it', async () => {
    // Each page is what the account held when it was asked for, answered 400 ms later.
    onPages(async (page, _req, res) => {
      const body = sortedCustomers()
        .slice((page - 1) * 50, page * 50)
        .map(toGetCustomerShape);
      await sleep(400);
      send(res, 200, body);
      return true;
    });
    await withServer({}, async (server) => {
      const search = find(server, 'smith');
      await standIn.waitForRequests(1);
      const update = await server.call({ pkcustomerid: 80125, phone1: '0400 111 222' });
      expect(structured(update)).toMatchObject({ ok: true });
      expect((await search).data.scan).toMatchObject({ complete: true, cachedSeconds: 0 });
      standIn.requests.length = 0;
      const found = await find(server, '0400 111 222');
      expect(standIn.requests).toHaveLength(0);
      expect(found.data.customers).toEqual([expect.objectContaining({ pkcustomerid: 80125 })]);
    });
  });

  it('a dry run or a failed update leaves the cached copy alone', async () => {
    await withServer({}, async (server) => {
      await find(server, 'mei');
      await server.call({ pkcustomerid: 80125, firstname: 'Preview', dryRun: true });
      standIn.once(answer(500, { code: 'UPDATE_FAILED', message: 'Database error' }));
      await server.call({ pkcustomerid: 80125, firstname: 'Failed' });
      expect((await find(server, 'preview')).data.totalMatches).toBe(0);
      expect((await find(server, 'failed')).data.totalMatches).toBe(0);
      expect((await find(server, 'mei chen')).data.totalMatches).toBe(1);
    });
  });

  it('a record read by get_customer (by email or id) replaces its cached copy', async () => {
    await withServer({}, async (server) => {
      await find(server, 'smith');
      // Changed in Solar Proof behind this server's back: the cache cannot know yet.
      (standIn.customers.get(80125) as SandboxCustomer).firstname = 'Meiling';
      (standIn.customers.get(81307) as SandboxCustomer).surname = 'Connolly';
      expect((await find(server, 'meiling')).data.totalMatches).toBe(0);
      await server.callTool('get_customer', { email: 'mei.chen@example.net' });
      await server.callTool('get_customer', { pkcustomerid: 81307 });
      standIn.requests.length = 0;
      expect((await find(server, 'meiling')).data.customers).toEqual([
        expect.objectContaining({ pkcustomerid: 80125, firstname: 'Meiling' }),
      ]);
      expect((await find(server, 'siobhan connolly')).data.totalMatches).toBe(1);
      expect(pageRequests()).toHaveLength(0);
    });
  });

  it('a lookup by project writes the fields it carries over the cached copy, and keeps the rest', async () => {
    await withServer({}, async (server) => {
      await find(server, 'smith');
      (standIn.customers.get(79461) as SandboxCustomer).companyname = 'Smith Renewables';
      await server.callTool('get_customer', { projectId: 50211 });
      const { data } = await find(server, 'smith renewables');
      expect(data.customers).toEqual([
        // type and status are not in the project's answer: the cached values stay.
        expect.objectContaining({
          pkcustomerid: 79461,
          companyname: 'Smith Renewables',
          type: 'RESIDENTIAL',
          status: 'Signed',
        }),
      ]);
    });
  });
});
