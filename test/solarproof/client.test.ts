/**
 * The Solar Proof client against the stand-in Solar Proof on 127.0.0.1 (port 0): no HTTP mocks. Each test
 * tells the stand-in how to misbehave through `once`/`setBehaviour` and checks both what the client
 * reports and what actually reached the wire (`standIn.requests`).
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/errors.js';
import { SUCCESS_MESSAGE } from '../../src/sandbox/api.js';
import { type ClientOptions, SolarProofClient } from '../../src/solarproof/client.js';
import { UPSTREAM_ERROR_CODES } from '../../src/solarproof/errors.js';
import type { RetryPolicy } from '../../src/solarproof/retry.js';
import { expectNoKey, SENTINEL_KEY, startStandIn } from '../helpers/harness.js';
import { type Behaviour, type RecordedRequest, type StandIn, send } from '../helpers/stand-in.js';

const FAST_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 50 };
const USER_AGENT = 'solarproof-mcp-test/9.9.9 (vitest)';
const MB = 1024 * 1024;
/** The documented example customer, seeded in the stand-in. */
const JOHN = 79461;

let standIn: StandIn;
const clients: SolarProofClient[] = [];
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  standIn = await startStandIn();
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.reset();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function makeClient(overrides: Partial<ClientOptions> = {}): SolarProofClient {
  const client = new SolarProofClient({
    apiKey: SENTINEL_KEY,
    baseUrl: new URL(standIn.url),
    httpMethod: 'POST',
    timeoutMs: 3_000,
    maxResponseBytes: MB,
    userAgent: USER_AGENT,
    retry: FAST_RETRY,
    ...overrides,
  });
  clients.push(client);
  return client;
}

/** Awaits a call that must fail, checks the error is a key-free ToolError, and returns it. */
async function failure(call: Promise<unknown>): Promise<ToolError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error('expected the call to fail, but it succeeded');
  expect(caught).toBeInstanceOf(ToolError);
  const error = caught as ToolError;
  expectNoKey(error.message);
  expectNoKey(JSON.stringify(error));
  expectNoKey(error.details.hint ?? '');
  return error;
}

/** The n-th request the stand-in received; fails the test when there is none. */
function nth(index: number): RecordedRequest {
  const recorded = standIn.requests[index];
  if (!recorded) throw new Error(`the stand-in received no request #${index + 1}`);
  return recorded;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - started };
}

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const expectedQuery = () =>
  new URLSearchParams({ api_key: SENTINEL_KEY, action: 'updatecustomer' }).toString();

/** Answers the next request with a status and JSON body, like Solar Proof's documented errors. */
function answerOnce(status: number, body: unknown, headers: Record<string, string> = {}, times = 1): void {
  standIn.once((_req, res) => {
    send(res, status, body, headers);
    return true;
  }, times);
}

function answerRawOnce(status: number, contentType: string | undefined, text: string): void {
  standIn.once((_req, res) => {
    res.writeHead(status, contentType === undefined ? {} : { 'content-type': contentType });
    res.end(text);
    return true;
  });
}

const neverAnswers: Behaviour = () => true;

describe('the request on the wire', () => {
  it('POSTs the documented request by default and reads the documented success', async () => {
    const client = makeClient();
    const outcome = await client.updateCustomer(JOHN, { phone1: '0400999888', gststatus: 0 });

    expect(outcome.value).toEqual({ customerId: JOHN, message: SUCCESS_MESSAGE });
    expect(outcome.attempts).toBe(1);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);

    expect(standIn.requests).toHaveLength(1);
    const req = nth(0);
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/apidata.php');
    expect(req.rawQuery).toBe(expectedQuery());
    expect(req.query).toEqual({ api_key: SENTINEL_KEY, action: 'updatecustomer' });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe(USER_AGENT);
    expect(req.headers.accept).toBe('application/json');
    expect(req.body).toEqual({
      data: {
        apikey: SENTINEL_KEY,
        action: 'updatecustomer',
        pkcustomerid: JOHN,
        phone1: '0400999888',
        gststatus: 0,
      },
    });
    expect(Object.keys((req.body as { data: object }).data)).toEqual([
      'apikey',
      'action',
      'pkcustomerid',
      'phone1',
      'gststatus',
    ]);
    expect(Number(req.headers['content-length'])).toBe(Buffer.byteLength(req.rawBody));

    // The stand-in applied exactly the given fields.
    const john = standIn.customers.get(JOHN);
    expect(john?.phone1).toBe('0400999888');
    expect(john?.gststatus).toBe(0);
    expect(john?.firstname).toBe('John');
  });

  it('uses PUT when configured', async () => {
    const client = makeClient({ httpMethod: 'PUT' });
    const outcome = await client.updateCustomer(JOHN, { surname: 'Smythe' });
    expect(outcome.value.customerId).toBe(JOHN);
    expect(standIn.requests).toHaveLength(1);
    expect(nth(0).method).toBe('PUT');
    expect(nth(0).rawQuery).toBe(expectedQuery());
    expect(standIn.customers.get(JOHN)?.surname).toBe('Smythe');
  });

  it('sends multi-byte values intact', async () => {
    const client = makeClient();
    await client.updateCustomer(JOHN, {
      firstname: 'Zoë',
      surname: "O'Brien-李",
      companyname: 'Smith & Sons “Solar”',
    });
    const john = standIn.customers.get(JOHN);
    expect(john?.firstname).toBe('Zoë');
    expect(john?.surname).toBe("O'Brien-李");
    expect(john?.companyname).toBe('Smith & Sons “Solar”');
    expect(Number(nth(0).headers['content-length'])).toBe(Buffer.byteLength(nth(0).rawBody, 'utf8'));
  });

  it.each(['/crm/v2', '/crm/v2/'])('keeps a base URL path prefix (%s)', async (prefix) => {
    standIn.setBehaviour((_req, res, recorded) => {
      if (recorded.path !== '/crm/v2/apidata.php') return false;
      send(res, 200, { Message: SUCCESS_MESSAGE, CustomerId: String(JOHN) });
      return true;
    });
    const client = makeClient({ baseUrl: new URL(`${standIn.url}${prefix}`) });
    const outcome = await client.updateCustomer(JOHN, { firstname: 'Jon' });
    expect(outcome.value.customerId).toBe(JOHN);
    expect(standIn.requests).toHaveLength(1);
    expect(nth(0).path).toBe('/crm/v2/apidata.php');
    expect(nth(0).rawQuery).toBe(expectedQuery());
  });

  it('prepareUpdateCustomer returns the exact request without sending it', async () => {
    const client = makeClient();
    const prepared = client.prepareUpdateCustomer(JOHN, { email: 'j@example.com', firstname: 'John' });
    expect(prepared.method).toBe('POST');
    expect(prepared.url.href).toBe(`${standIn.url}/apidata.php?${expectedQuery()}`);
    expect(prepared.url.searchParams.get('api_key')).toBe(SENTINEL_KEY);
    expect(prepared.body).toEqual({
      data: {
        apikey: SENTINEL_KEY,
        action: 'updatecustomer',
        pkcustomerid: JOHN,
        firstname: 'John',
        email: 'j@example.com',
      },
    });
    expect(makeClient({ httpMethod: 'PUT' }).prepareUpdateCustomer(1, { gststatus: 1 }).method).toBe('PUT');
    await sleep(30);
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('API key encoding', () => {
  it('a key with & + = / and a space passes the stand-in’s authentication', async () => {
    expect(SENTINEL_KEY).toMatch(/[&+=/ ]/);
    const client = makeClient();
    const outcome = await client.updateCustomer(JOHN, { firstname: 'Johnny' });
    expect(outcome.value.customerId).toBe(JOHN);
    expect(nth(0).query.api_key).toBe(SENTINEL_KEY);
    expect((nth(0).body as { data: { apikey: string } }).data.apikey).toBe(SENTINEL_KEY);
  });

  it('control: the stand-in refuses the same key interpolated without encoding', async () => {
    const response = await request(
      `${standIn.url}/apidata.php?api_key=${SENTINEL_KEY}&action=updatecustomer`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          data: { apikey: SENTINEL_KEY, action: 'updatecustomer', pkcustomerid: JOHN },
        }),
      },
    );
    const body = (await response.body.json()) as { code: string };
    expect(response.statusCode).toBe(401);
    expect(body.code).toBe('INVALID_API_KEY');
  });

  it('control: a wrong key is refused as INVALID_API_KEY without a retry', async () => {
    const client = makeClient({ apiKey: 'spk_wrong_key_123' });
    const error = await failure(client.updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('INVALID_API_KEY');
    expect(error.details.httpStatus).toBe(401);
    expect(error.details.attempts).toBe(1);
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.customers.get(JOHN)?.firstname).toBe('John');
  });
});

describe('upstream errors', () => {
  const statusFor: Record<(typeof UPSTREAM_ERROR_CODES)[number], number> = {
    INVALID_API_KEY: 401,
    INVALID_PARAMETERS: 400,
    CUSTOMER_NOT_FOUND: 404,
    PERMISSION_DENIED: 403,
    UPDATE_FAILED: 500,
  };

  it.each(UPSTREAM_ERROR_CODES)(
    'reports the documented code %s with its message, without retrying',
    async (code) => {
      const status = statusFor[code];
      answerOnce(status, { code, message: `Simulated ${code}` });
      const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
      expect(error.code).toBe(code);
      expect(error.message).toBe(`Simulated ${code}`);
      expect(error.details.httpStatus).toBe(status);
      expect(error.details.upstreamCode).toBeUndefined();
      expect(error.details.attempts).toBe(1);
      expect(standIn.requests).toHaveLength(1);
    },
  );

  it('the stand-in’s own answers: unknown id and a locked customer', async () => {
    const client = makeClient();
    const missing = await failure(client.updateCustomer(12345, { firstname: 'X' }));
    expect(missing.code).toBe('CUSTOMER_NOT_FOUND');
    expect(missing.details.httpStatus).toBe(404);
    expect(missing.message).toBe('No customer exists with ID: 12345');
    const locked = await failure(client.updateCustomer(83019, { firstname: 'X' }));
    expect(locked.code).toBe('PERMISSION_DENIED');
    expect(locked.details.httpStatus).toBe(403);
  });

  it('an error body under HTTP 200 is an error', async () => {
    answerOnce(200, { code: 'CUSTOMER_NOT_FOUND', message: 'No customer exists with ID: 79461' });
    const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('CUSTOMER_NOT_FOUND');
    expect(error.details.httpStatus).toBe(200);

    answerOnce(200, { success: false, message: 'Could not save' });
    const generic = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(generic.code).toBe('UPSTREAM_ERROR');
    expect(generic.message).toBe('Could not save');
  });

  it('an undocumented code becomes UPSTREAM_ERROR with upstreamCode', async () => {
    answerOnce(400, { code: 'ACCOUNT_SUSPENDED', message: 'Account suspended' });
    const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.details.upstreamCode).toBe('ACCOUNT_SUSPENDED');
    expect(error.details.httpStatus).toBe(400);
  });

  it('an HTML 500 page is UPSTREAM_SERVER_ERROR, described without its markup, not retried', async () => {
    answerRawOnce(
      500,
      'text/html; charset=UTF-8',
      '<html><head><title>500</title></head><body><h1>Internal Server Error</h1><p>Try later.</p></body></html>',
    );
    const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('UPSTREAM_SERVER_ERROR');
    expect(error.details.httpStatus).toBe(500);
    expect(error.message).toContain('HTTP 500');
    expect(error.message).toContain('text/html');
    expect(error.message).toContain('Internal Server Error');
    expect(error.message).not.toMatch(/<\/?h1>/);
    expect(error.details.attempts).toBe(1);
    expect(standIn.requests).toHaveLength(1);
  });

  it('a 4xx without a code is UPSTREAM_HTTP_ERROR', async () => {
    answerRawOnce(404, 'text/plain', 'Not Found');
    const plain = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(plain.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(plain.details.httpStatus).toBe(404);
    expect(plain.message).toContain('Not Found');
    expect(plain.retryable).toBe(false);

    answerOnce(400, { error: 'bad request' });
    const json = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(json.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(json.details.httpStatus).toBe(400);

    answerRawOnce(405, undefined, '');
    const empty = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(empty.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(empty.message).toContain('empty body');
    expect(standIn.requests).toHaveLength(3);
  });

  it('a 200 that is not JSON, is empty, or lacks the documented fields is UNEXPECTED_RESPONSE', async () => {
    answerRawOnce(200, 'text/html', '<html><body>Please log in</body></html>');
    const html = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(html.code).toBe('UNEXPECTED_RESPONSE');
    expect(html.details.httpStatus).toBe(200);
    expect(html.message).toContain('Please log in');

    answerRawOnce(200, 'application/json', '');
    expect((await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }))).code).toBe(
      'UNEXPECTED_RESPONSE',
    );

    answerOnce(200, { ok: true });
    expect((await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }))).code).toBe(
      'UNEXPECTED_RESPONSE',
    );

    answerRawOnce(200, 'application/json', 'null');
    expect((await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }))).code).toBe(
      'UNEXPECTED_RESPONSE',
    );
    expect(standIn.requests).toHaveLength(4);
  });

  it('accepts the `id` variant and a UTF-8 byte-order mark on the wire', async () => {
    answerRawOnce(200, 'application/json', `\uFEFF${JSON.stringify({ Message: 'Saved', id: '79461' })}`);
    const outcome = await makeClient().updateCustomer(JOHN, { firstname: 'X' });
    expect(outcome.value).toEqual({ customerId: JOHN, message: 'Saved' });
  });
});

describe('deadline', () => {
  it('a silent upstream gives TIMEOUT after about timeoutMs, and the request is abandoned', async () => {
    standIn.once(neverAnswers);
    const client = makeClient({ timeoutMs: 300 });
    const { result: error, ms } = await timed(() => failure(client.updateCustomer(JOHN, { firstname: 'X' })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(error.details.attempts).toBe(1);
    expect(error.message).toContain('300 ms');
    expect(ms).toBeGreaterThanOrEqual(280);
    expect(ms).toBeLessThan(1_000);
    expect(standIn.requests).toHaveLength(1);
    await until(() => standIn.requests[0]?.abortedByClient === true);
  });

  it('one deadline covers retries: 503 then silence still ends at about timeoutMs', async () => {
    answerOnce(503, {});
    standIn.once(neverAnswers);
    const client = makeClient({ timeoutMs: 400 });
    const { result: error, ms } = await timed(() => failure(client.updateCustomer(JOHN, { firstname: 'X' })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.details.attempts).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(380);
    expect(ms).toBeLessThan(1_100);
    expect(standIn.requests).toHaveLength(2);
  });

  it('a body that trickles a byte every 50 ms forever still times out on time', async () => {
    let bytes = 0;
    standIn.once((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => {
        bytes++;
        res.write(' ');
      }, 50);
      res.on('close', () => clearInterval(timer));
      cleanups.push(() => clearInterval(timer));
      return true;
    });
    const client = makeClient({ timeoutMs: 400 });
    const { result: error, ms } = await timed(() => failure(client.updateCustomer(JOHN, { firstname: 'X' })));
    expect(error.code).toBe('TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(380);
    expect(ms).toBeLessThan(1_100);
    // The body really was arriving while the deadline ran out.
    expect(bytes).toBeGreaterThanOrEqual(3);
    await until(() => standIn.requests[0]?.abortedByClient === true);
  });
});

describe('response size cap', () => {
  const TOTAL = 30 * MB;

  /** Streams 30 MB in 64 KiB chunks, honouring back-pressure, and counts what it managed to hand over. */
  function hugeBody(withLength: boolean, stats: { written: number; finished: boolean }): Behaviour {
    return (_req, res: ServerResponse) => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(withLength ? { 'content-length': String(TOTAL) } : {}),
      });
      const pump = () => {
        while (stats.written < TOTAL) {
          if (res.destroyed) return;
          stats.written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
        stats.finished = true;
      };
      pump();
      return true;
    };
  }

  it.each([
    ['with content-length', true],
    ['chunked, without content-length', false],
  ])(
    'a 30 MB body (%s) is RESPONSE_TOO_LARGE, quickly and without reading it all',
    async (_label, withLength) => {
      const stats = { written: 0, finished: false };
      standIn.once(hugeBody(withLength, stats));
      const client = makeClient({ maxResponseBytes: MB, timeoutMs: 5_000 });
      const before = process.memoryUsage();
      const { result: error, ms } = await timed(() =>
        failure(client.updateCustomer(JOHN, { firstname: 'X' })),
      );
      const after = process.memoryUsage();

      expect(error.code).toBe('RESPONSE_TOO_LARGE');
      expect(error.details.httpStatus).toBe(200);
      expect(error.details.attempts).toBe(1);
      expect(error.message).toContain(String(MB));
      expect(ms).toBeLessThan(2_000);
      // The client stopped reading, so the server could not hand over the whole body.
      await sleep(50);
      expect(stats.finished).toBe(false);
      expect(stats.written).toBeLessThan(TOTAL / 2);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(15 * MB);
      expect(standIn.requests).toHaveLength(1);
    },
  );

  it('a declared content-length over the cap is refused before any body arrives', async () => {
    standIn.once((_req, res) => {
      // Headers only: the body never comes, so only the declared length can settle the call.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(TOTAL) });
      res.flushHeaders();
      return true;
    });
    const client = makeClient({ maxResponseBytes: MB, timeoutMs: 2_000 });
    const { result: error, ms } = await timed(() => failure(client.updateCustomer(JOHN, { firstname: 'X' })));
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
    expect(ms).toBeLessThan(1_000);
  });

  it('a body just under the cap is read normally', async () => {
    const body = JSON.stringify({ Message: 'ok', CustomerId: '79461', pad: 'p'.repeat(2000) });
    answerRawOnce(200, 'application/json', body);
    const outcome = await makeClient({ maxResponseBytes: body.length }).updateCustomer(JOHN, {
      firstname: 'X',
    });
    expect(outcome.value.customerId).toBe(JOHN);

    answerRawOnce(200, 'application/json', body);
    const error = await failure(
      makeClient({ maxResponseBytes: body.length - 1 }).updateCustomer(JOHN, { firstname: 'X' }),
    );
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
  });
});

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i is REDIRECT_REFUSED and the target is never requested',
    async (status) => {
      const target = `${standIn.url}/elsewhere/apidata.php?${expectedQuery()}`;
      standIn.once((_req, res) => {
        res.writeHead(status, { location: target, 'content-length': '0' });
        res.end();
        return true;
      });
      const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
      expect(error.code).toBe('REDIRECT_REFUSED');
      expect(error.details.httpStatus).toBe(status);
      expect(error.details.attempts).toBe(1);
      // The target is named for the user by scheme, host and path; its query (with the key) never.
      expect(error.message).toContain('/elsewhere/apidata.php');
      expect(error.message).not.toContain('action=updatecustomer');
      await sleep(100);
      expect(standIn.requests).toHaveLength(1);
      expect(standIn.requests.some((r) => r.path.startsWith('/elsewhere'))).toBe(false);
      expect(standIn.customers.get(JOHN)?.firstname).toBe('John');
    },
  );
});

describe('retries', () => {
  it('503 then success succeeds on the second attempt', async () => {
    answerOnce(503, { message: 'busy' });
    const outcome = await makeClient().updateCustomer(JOHN, { firstname: 'Retry' });
    expect(outcome.value.customerId).toBe(JOHN);
    expect(outcome.attempts).toBe(2);
    expect(standIn.requests).toHaveLength(2);
    expect(nth(1).body).toEqual(nth(0).body);
    expect(standIn.customers.get(JOHN)?.firstname).toBe('Retry');
  });

  it.each([502, 504])('%i then success also retries', async (status) => {
    answerRawOnce(status, 'text/html', '<h1>Bad Gateway</h1>');
    const outcome = await makeClient().updateCustomer(JOHN, { firstname: 'Retry' });
    expect(outcome.attempts).toBe(2);
    expect(standIn.requests).toHaveLength(2);
  });

  it('503 forever is UPSTREAM_UNAVAILABLE after exactly maxAttempts requests', async () => {
    standIn.setBehaviour((_req, res) => {
      send(res, 503, {});
      return true;
    });
    const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.details.httpStatus).toBe(503);
    expect(error.details.attempts).toBe(3);
    await sleep(100);
    expect(standIn.requests).toHaveLength(3);
  });

  it('a 503 carrying a documented code keeps that code once retries run out', async () => {
    standIn.setBehaviour((_req, res) => {
      send(res, 503, { code: 'UPDATE_FAILED', message: 'Database busy' });
      return true;
    });
    const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('UPDATE_FAILED');
    expect(error.message).toBe('Database busy');
    expect(error.details.attempts).toBe(3);
    expect(standIn.requests).toHaveLength(3);
  });

  it('429 with Retry-After: 0 then success succeeds on the second attempt', async () => {
    answerOnce(429, {}, { 'retry-after': '0' });
    const outcome = await makeClient().updateCustomer(JOHN, { firstname: 'X' });
    expect(outcome.attempts).toBe(2);
    expect(standIn.requests).toHaveLength(2);
  });

  it('429 with Retry-After: 1 waits about a second before retrying', async () => {
    answerOnce(429, {}, { 'retry-after': '1' });
    const { result: outcome, ms } = await timed(() => makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(outcome.attempts).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2_000);
  });

  it('429 with Retry-After beyond the deadline is RATE_LIMITED at once, with retryAfterSeconds', async () => {
    answerOnce(429, { message: 'slow down' }, { 'retry-after': '120' });
    const client = makeClient({ timeoutMs: 2_000 });
    const { result: error, ms } = await timed(() => failure(client.updateCustomer(JOHN, { firstname: 'X' })));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details.retryAfterSeconds).toBe(120);
    expect(error.details.httpStatus).toBe(429);
    expect(error.details.attempts).toBe(1);
    expect(ms).toBeLessThan(500);
    await sleep(50);
    expect(standIn.requests).toHaveLength(1);
  });

  it('429 with an HTTP-date Retry-After beyond the deadline is RATE_LIMITED at once', async () => {
    answerOnce(429, {}, { 'retry-after': new Date(Date.now() + 90_000).toUTCString() });
    const error = await failure(makeClient({ timeoutMs: 2_000 }).updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details.retryAfterSeconds).toBeGreaterThanOrEqual(88);
    expect(error.details.retryAfterSeconds).toBeLessThanOrEqual(90);
    expect(standIn.requests).toHaveLength(1);
  });

  it('429 forever without Retry-After is RATE_LIMITED after maxAttempts', async () => {
    standIn.setBehaviour((_req, res) => {
      send(res, 429, {});
      return true;
    });
    const error = await failure(makeClient().updateCustomer(JOHN, { firstname: 'X' }));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details.retryAfterSeconds).toBeUndefined();
    expect(error.details.attempts).toBe(3);
    expect(standIn.requests).toHaveLength(3);
  });

  it('a connection dropped before any answer is retried', async () => {
    standIn.once((req) => {
      req.socket.destroy();
      return true;
    });
    const outcome = await makeClient().updateCustomer(JOHN, { firstname: 'Again' });
    expect(outcome.attempts).toBe(2);
    expect(standIn.requests).toHaveLength(2);
    expect(standIn.customers.get(JOHN)?.firstname).toBe('Again');
  });

  it('connection refused is NETWORK after maxAttempts', async () => {
    const dead = await startStandIn();
    const url = dead.url;
    await dead.close();
    const client = makeClient({ baseUrl: new URL(url) });
    const { result: error, ms } = await timed(() => failure(client.updateCustomer(JOHN, { firstname: 'X' })));
    expect(error.code).toBe('NETWORK');
    expect(error.retryable).toBe(true);
    expect(error.details.attempts).toBe(3);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.details.httpStatus).toBeUndefined();
    expect(ms).toBeLessThan(1_000);
  });
});

describe('cancellation', () => {
  it('aborting mid-request gives CANCELLED and the upstream sees the request abandoned', async () => {
    standIn.once(neverAnswers);
    const controller = new AbortController();
    const call = makeClient().updateCustomer(JOHN, { firstname: 'X' }, { signal: controller.signal });
    await standIn.waitForRequests(1);
    const started = performance.now();
    controller.abort();
    const error = await failure(call);
    expect(error.code).toBe('CANCELLED');
    expect(error.retryable).toBe(true);
    expect(error.details.attempts).toBe(1);
    expect(performance.now() - started).toBeLessThan(500);
    await until(() => standIn.requests[0]?.abortedByClient === true);
    expect(standIn.requests).toHaveLength(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const error = await failure(
      makeClient().updateCustomer(JOHN, { firstname: 'X' }, { signal: AbortSignal.abort() }),
    );
    expect(error.code).toBe('CANCELLED');
    await sleep(50);
    expect(standIn.requests).toHaveLength(0);
    expect(standIn.customers.get(JOHN)?.firstname).toBe('John');
  });

  it('aborting while waiting to retry gives CANCELLED at once, with no further request', async () => {
    answerOnce(503, {});
    const controller = new AbortController();
    const client = makeClient({
      timeoutMs: 10_000,
      retry: { maxAttempts: 3, baseDelayMs: 4_000, maxDelayMs: 4_000 },
    });
    const call = client.updateCustomer(JOHN, { firstname: 'X' }, { signal: controller.signal });
    await standIn.waitForRequests(1);
    await sleep(50);
    const started = performance.now();
    controller.abort();
    const error = await failure(call);
    expect(error.code).toBe('CANCELLED');
    expect(performance.now() - started).toBeLessThan(500);
    expect(standIn.requests).toHaveLength(1);
  });
});

describe('connection reuse', () => {
  async function twentyCalls(own: StandIn, pause: boolean): Promise<void> {
    const client = makeClient({ baseUrl: new URL(own.url) });
    for (let i = 0; i < 20; i++) {
      // A real tool call arrives through stdio I/O, so at least one event-loop turn separates calls.
      if (pause) await new Promise((resolve) => setImmediate(resolve));
      if (i % 5 === 4) {
        const error = await failure(client.updateCustomer(12345, { firstname: `N${i}` }));
        expect(error.code).toBe('CUSTOMER_NOT_FOUND');
      } else {
        const outcome = await client.updateCustomer(JOHN, { firstname: `N${i}` });
        expect(outcome.attempts).toBe(1);
      }
    }
    expect(own.requests).toHaveLength(20);
  }

  it('20 sequential calls, errors included, share one keep-alive connection', async () => {
    const own = await startStandIn();
    try {
      await twentyCalls(own, true);
      expect(own.connectionCount()).toBe(1);
      expect(new Set(own.requests.map((r) => r.connection))).toEqual(new Set([1]));
    } finally {
      await own.close();
    }
  });

  it('back-to-back calls in the same tick still reuse connections (undici frees a socket one turn later)', async () => {
    const own = await startStandIn();
    try {
      await twentyCalls(own, false);
      expect(own.connectionCount()).toBeLessThanOrEqual(2);
    } finally {
      await own.close();
    }
  });
});
