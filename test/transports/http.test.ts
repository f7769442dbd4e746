/**
 * HTTP mode in process: startHttpServer on 127.0.0.1, port 0, against the stand-in Solar Proof,
 * driven by the SDK's StreamableHTTPClientTransport and by raw requests. Every refusal is checked
 * with a body that would update a customer if it got through, and then that it did not: the
 * stand-in saw nothing and the audit log holds nothing.
 */
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/audit/history.js';
import { CLOSE_MS } from '../../src/lifecycle.js';
import { PACKAGE_VERSION } from '../../src/package-info.js';
import { readAudit, readAuditText } from '../helpers/audit.js';
import {
  answer,
  envFor,
  expectNoKey,
  SENTINEL_KEY,
  startInProcessServer,
  startStandIn,
  structured,
  updateRequests,
} from '../helpers/harness.js';
import {
  bearer,
  httpClient,
  type InProcessHttp,
  MCP_HEADERS,
  type RawResponse,
  raw,
  rpc,
  rpcResult,
  SENTINEL_TOKEN,
  startInProcessHttp,
} from '../helpers/http.js';
import { type StandIn, send as sendJson } from '../helpers/stand-in.js';

const UPDATE = { name: 'update_customer', arguments: { pkcustomerid: 79461, phone2: '0400 111 222' } };
const updateBody = rpc('tools/call', UPDATE);

let standIn: StandIn;
/** Every response and log seen in this file, for the leak check at the end. */
const seen: string[] = [];
beforeAll(async () => {
  standIn = await startStandIn();
});
afterEach(() => standIn.reset());
afterAll(async () => {
  await standIn.close();
  for (const text of seen) {
    expectNoKey(text);
    expectNoKey(text, SENTINEL_TOKEN);
  }
});

async function send(url: string, request: Parameters<typeof raw>[1]): Promise<RawResponse> {
  const response = await raw(url, request);
  seen.push(response.text);
  return response;
}

function hostOf(url: string): string {
  return new URL(url).host;
}

describe('HTTP mode with the SDK client', () => {
  let http: InProcessHttp;
  let env: Record<string, string>;
  let client: Client;
  beforeAll(async () => {
    env = envFor(standIn, { SOLARPROOF_HTTP_TOKEN: SENTINEL_TOKEN });
    http = await startInProcessHttp(env);
    client = await httpClient(http.url, bearer());
  });
  afterAll(async () => {
    await client.close();
    await http.close();
    seen.push(http.stderr(), readAuditText(env.SOLARPROOF_AUDIT_LOG as string));
  });

  it('lists the same tools and gives the same results as the server over stdio', async () => {
    const stdio = await startInProcessServer(envFor(standIn));
    try {
      expect((await client.listTools()).tools).toEqual((await stdio.client.listTools()).tools);
      const lookup = { name: 'get_customer', arguments: { email: 'john.smith@example.com' } };
      const overHttp = (await client.callTool(lookup)) as CallToolResult;
      const overStdio = (await stdio.client.callTool(lookup)) as CallToolResult;
      seen.push(JSON.stringify(overHttp));
      expect(overHttp).toEqual(overStdio);
      expect(structured(overHttp)).toMatchObject({ ok: true, customer: { pkcustomerid: 79461 } });
      const failure = { name: 'update_customer', arguments: { pkcustomerid: 0, phone1: '1' } };
      expect(await client.callTool(failure)).toEqual(await stdio.client.callTool(failure));
    } finally {
      await stdio.close();
    }
  });

  it('updates a customer: one update request (between its read and read-back), audited as requested and completed', async () => {
    const result = (await client.callTool(UPDATE)) as CallToolResult;
    seen.push(JSON.stringify(result));
    expect(result.isError).toBeUndefined();
    expect(structured(result)).toMatchObject({ ok: true, customerId: 79461, fieldsSent: ['phone2'] });
    expect(updateRequests(standIn)).toHaveLength(1);
    for (const request of standIn.requests) expect(request.query.api_key).toBe(SENTINEL_KEY);
    const records = readAudit(env.SOLARPROOF_AUDIT_LOG as string).filter(
      (r) => r.requestId === structured(result).requestId,
    );
    expect(records.map((r) => [r.event, r.outcome])).toEqual([
      ['update_requested', undefined],
      ['update_completed', 'success'],
    ]);
  });

  it('redacts the bearer token and the key when Solar Proof echoes them', async () => {
    standIn.once(
      answer(400, {
        status: 'error',
        code: 'INVALID_PARAMETERS',
        message: `Rejected ${SENTINEL_TOKEN} with key ${SENTINEL_KEY}`,
      }),
    );
    const result = (await client.callTool(UPDATE)) as CallToolResult;
    const text = JSON.stringify(result);
    seen.push(text);
    expect(result.isError).toBe(true);
    expect(structured(result).message).toContain('[REDACTED] with key [REDACTED]');
    expect(text).not.toContain(SENTINEL_TOKEN);
  });

  it('answers with an event stream when the request asks for progress, with JSON otherwise', async () => {
    const headers = { ...MCP_HEADERS, ...bearer(), host: hostOf(http.url) };
    const lookup = { name: 'get_customer', arguments: { email: 'john.smith@example.com' } };
    const plain = await send(http.url, { headers, body: rpc('tools/call', lookup) });
    expect(plain.headers['content-type']).toBe('application/json');
    const streamed = await send(http.url, {
      headers,
      body: rpc('tools/call', { ...lookup, _meta: { progressToken: 'p1' } }),
    });
    expect(streamed.status).toBe(200);
    expect(streamed.headers['content-type']).toBe('text/event-stream');
    expect(rpcResult(streamed).result.structuredContent).toEqual(rpcResult(plain).result.structuredContent);
    // The SDK client asks for progress when given onprogress; the answer still arrives whole.
    const progress: unknown[] = [];
    const result = await client.callTool(lookup, undefined, { onprogress: (p) => progress.push(p) });
    expect(structured(result as CallToolResult)).toMatchObject({ ok: true });
  });

  it('find_customers sends its progress over the event stream, in order, before the result', async () => {
    const headers = { ...MCP_HEADERS, ...bearer(), host: hostOf(http.url) };
    // Nothing in this file has searched this server before, so the list is read page by page.
    const streamed = await send(http.url, {
      headers,
      body: rpc('tools/call', {
        name: 'find_customers',
        arguments: { query: 'Smith' },
        _meta: { progressToken: 'scan' },
      }),
    });
    seen.push(streamed.text);
    expect(streamed.headers['content-type']).toBe('text/event-stream');
    const messages = streamed.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as Record<string, any>);
    const progress = messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params);
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.progressToken).toBe('scan');
    const counts = progress.map((p) => p.progress as number);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(messages.findIndex((m) => 'result' in m)).toBe(messages.length - 1);
    expect(messages.at(-1)?.result.structuredContent).toMatchObject({ ok: true });
    // The scan keeps a few pages in flight; let the ones past the end land before the next test.
    await sleep(300);
    standIn.reset();
  });

  it('a client that goes away mid-call cancels it: the upstream request is aborted and the audit says CANCELLED', async () => {
    standIn.setBehaviour(() => true); // never answers
    const request = startUpdate(http.url);
    await standIn.waitForRequests(1, 5_000);
    expect(http.service.calls.size).toBe(1);
    request.destroy();
    await waitFor(() =>
      readAudit(env.SOLARPROOF_AUDIT_LOG as string).some(
        (r) => r.event === 'update_completed' && r.code === 'CANCELLED',
      ),
    );
    await waitFor(() => standIn.requests[0]?.abortedByClient === true);
    // The call settles just after its outcome is recorded.
    await waitFor(() => http.service.calls.size === 0);
  });
});

/** An update sent with node:http, whose connection the test can destroy mid-call. */
function startUpdate(url: string, headers: Record<string, string> = bearer()) {
  const target = new URL(url);
  const req = httpRequest({
    host: target.hostname,
    port: target.port,
    method: 'POST',
    path: target.pathname,
    headers: { ...MCP_HEADERS, ...headers, host: target.host },
    agent: false,
  });
  req.on('error', () => {});
  req.end(updateBody);
  return req;
}

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('HTTP refusals: answered before any tool runs', () => {
  let http: InProcessHttp;
  let env: Record<string, string>;
  let good: Record<string, string>;
  beforeAll(async () => {
    env = envFor(standIn, {
      SOLARPROOF_HTTP_TOKEN: SENTINEL_TOKEN,
      SOLARPROOF_HTTP_MAX_BODY_BYTES: '2048',
      SOLARPROOF_HTTP_ALLOWED_HOSTS: 'mcp.example.com',
      SOLARPROOF_HTTP_ALLOWED_ORIGINS: 'https://app.example.com',
    });
    http = await startInProcessHttp(env);
    good = { ...MCP_HEADERS, ...bearer(), host: hostOf(http.url) };
  });
  afterAll(async () => {
    await http.close();
    seen.push(http.stderr());
  });
  let audited = 0;
  beforeEach(() => {
    audited = readAudit(env.SOLARPROOF_AUDIT_LOG as string).length;
  });
  /** Nothing reached Solar Proof or the audit log. */
  const expectUntouched = () => {
    expect(standIn.requests).toHaveLength(0);
    expect(readAudit(env.SOLARPROOF_AUDIT_LOG as string)).toHaveLength(audited);
  };
  const port = () => new URL(http.url).port;

  const cases: Array<{
    name: string;
    request: () => Parameters<typeof raw>[1];
    status: number;
    header?: [string, RegExp];
  }> = [
    {
      name: 'a Host that is not ours (DNS rebinding)',
      request: () => ({ headers: { ...good, host: `evil.example.com:${port()}` }, body: updateBody }),
      status: 403,
    },
    {
      name: 'a loopback Host on another port',
      request: () => ({ headers: { ...good, host: `localhost:${Number(port()) + 1}` }, body: updateBody }),
      status: 403,
    },
    {
      name: 'a malformed Host',
      request: () => ({ headers: { ...good, host: 'localhost:99999' }, body: updateBody }),
      status: 403,
    },
    {
      name: 'an Origin that is not ours',
      request: () => ({ headers: { ...good, origin: 'http://evil.example.com' }, body: updateBody }),
      status: 403,
    },
    {
      name: 'the Origin "null" (a sandboxed page or a file)',
      request: () => ({ headers: { ...good, origin: 'null' }, body: updateBody }),
      status: 403,
    },
    {
      name: 'no Authorization',
      request: () => {
        const { authorization: _omitted, ...rest } = good;
        return { headers: rest, body: updateBody };
      },
      status: 401,
      header: ['www-authenticate', /^Bearer realm="solarproof-mcp"$/],
    },
    {
      name: 'a wrong token',
      request: () => ({ headers: { ...good, ...bearer(`${SENTINEL_TOKEN}x`) }, body: updateBody }),
      status: 401,
      header: ['www-authenticate', /^Bearer realm="solarproof-mcp", error="invalid_token"$/],
    },
    {
      name: 'a token that is a prefix of the right one',
      request: () => ({ headers: { ...good, ...bearer(SENTINEL_TOKEN.slice(0, -1)) }, body: updateBody }),
      status: 401,
      header: ['www-authenticate', /invalid_token/],
    },
    {
      name: 'the right token under another scheme',
      request: () => ({ headers: { ...good, authorization: `Basic ${SENTINEL_TOKEN}` }, body: updateBody }),
      status: 401,
    },
    {
      name: 'GET (no event stream: the server is stateless)',
      request: () => ({ method: 'GET', headers: { ...good, accept: 'text/event-stream' } }),
      status: 405,
      header: ['allow', /^POST$/],
    },
    {
      name: 'DELETE (no session to end)',
      request: () => ({ method: 'DELETE', headers: good }),
      status: 405,
      header: ['allow', /^POST$/],
    },
    { name: 'PUT', request: () => ({ method: 'PUT', headers: good, body: updateBody }), status: 405 },
    {
      name: 'Content-Type text/plain',
      request: () => ({ headers: { ...good, 'content-type': 'text/plain' }, body: updateBody }),
      status: 415,
    },
    {
      name: 'a Content-Type that only starts with application/json',
      request: () => ({ headers: { ...good, 'content-type': 'application/jsonp' }, body: updateBody }),
      status: 415,
    },
    {
      name: 'no Content-Type',
      request: () => {
        const { 'content-type': _omitted, ...rest } = good;
        return { headers: rest, body: updateBody };
      },
      status: 415,
    },
    {
      name: 'a body over the limit, declared in Content-Length',
      request: () => ({ headers: good, body: updateBody + ' '.repeat(1024 * 1024) }),
      status: 413,
    },
    {
      name: 'a body over the limit, chunked (no Content-Length)',
      request: () => ({
        headers: { ...good, 'transfer-encoding': 'chunked' },
        body: updateBody + ' '.repeat(1024 * 1024),
      }),
      status: 413,
    },
    { name: 'a body that is not JSON', request: () => ({ headers: good, body: '{"jsonrpc":' }), status: 400 },
    {
      name: 'JSON that is not JSON-RPC',
      request: () => ({ headers: good, body: JSON.stringify({ method: 'tools/call', params: UPDATE }) }),
      status: 400,
    },
    {
      name: 'an Accept without text/event-stream',
      request: () => ({ headers: { ...good, accept: 'application/json' }, body: updateBody }),
      status: 406,
    },
    {
      name: 'another path',
      request: () => ({ path: '/mcp/../admin', headers: good, body: updateBody }),
      status: 404,
    },
  ];

  it.each(cases)('$status for $name', async ({ request, status, header }) => {
    const response = await send(http.url, request());
    expect(response.status, response.text).toBe(status);
    if (header) expect(response.headers[header[0]]).toMatch(header[1]);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { message: expect.any(String) },
    });
    expectUntouched();
  });

  it('the same request with everything right goes through (so the refusals above are the checks)', async () => {
    for (const headers of [
      good,
      { ...good, host: 'mcp.example.com' },
      { ...good, host: `LOCALHOST:${port()}`, origin: `http://localhost:${port()}` },
      { ...good, host: `[::1]:${port()}`, origin: 'https://app.example.com' },
      {
        ...good,
        authorization: `bearer  ${SENTINEL_TOKEN}`,
        'content-type': 'application/json; charset=utf-8',
      },
    ]) {
      standIn.reset();
      const response = await send(http.url, { headers, body: updateBody });
      expect(response.status, response.text).toBe(200);
      expect(rpcResult(response).result.structuredContent).toMatchObject({ ok: true, customerId: 79461 });
      expect(updateRequests(standIn)).toHaveLength(1);
    }
  });

  it('GET /healthz answers without a token or an allowed Host, and tells nothing secret', async () => {
    const response = await send(http.url, { method: 'GET', path: '/healthz', headers: { host: 'anything' } });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok', version: PACKAGE_VERSION, mode: 'live' });
    const post = await send(http.url, { method: 'POST', path: '/healthz', headers: good, body: '{}' });
    expect(post.status).toBe(405);
    expectUntouched();
  });
});

describe('HTTP calls in flight are bounded', () => {
  it('past SOLARPROOF_HTTP_MAX_IN_FLIGHT a request gets 503 with Retry-After, and nothing is sent; once calls finish, requests go through again', async () => {
    const env = envFor(standIn, { SOLARPROOF_HTTP_MAX_IN_FLIGHT: '2' });
    const http = await startInProcessHttp(env);
    try {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      standIn.setBehaviour(async () => {
        await gate;
        return false;
      });
      const headers = { ...MCP_HEADERS, host: hostOf(http.url) };
      const held = [1, 2].map((id) => send(http.url, { headers, body: rpc('tools/call', UPDATE, id) }));
      await standIn.waitForRequests(2, 5_000);
      const refused = await send(http.url, { headers, body: rpc('tools/call', UPDATE, 3) });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      // A batch counts each of its requests.
      release();
      for (const response of await Promise.all(held)) expect(response.status).toBe(200);
      expect(updateRequests(standIn)).toHaveLength(2);
      const batch = [1, 2, 3].map((id) => JSON.parse(rpc('tools/call', UPDATE, id)));
      const tooMany = await send(http.url, { headers, body: JSON.stringify(batch) });
      expect(tooMany.status).toBe(503);
      expect(updateRequests(standIn)).toHaveLength(2);
      // Another value: the record already holds UPDATE's, and an update that changes nothing sends nothing.
      const other = { ...UPDATE, arguments: { ...UPDATE.arguments, phone2: '0400 333 444' } };
      const again = await send(http.url, { headers, body: rpc('tools/call', other, 4) });
      expect(again.status).toBe(200);
      expect(updateRequests(standIn)).toHaveLength(3);
      expect(
        readAudit(env.SOLARPROOF_AUDIT_LOG as string).filter((r) => r.event === 'update_requested'),
      ).toHaveLength(3);
    } finally {
      standIn.setBehaviour(undefined);
      await http.close();
      seen.push(http.stderr());
    }
  });
});

describe('HTTP shutdown', () => {
  it('stops accepting connections, answers requests on open connections 503, lets the calls in flight finish with their real results', async () => {
    const env = envFor(standIn);
    const http = await startInProcessHttp(env);
    const headers = { ...MCP_HEADERS, host: hostOf(http.url) };
    // Longer than the close allows after the drain, so only the drain can deliver these answers.
    standIn.setBehaviour(async () => {
      await sleep(CLOSE_MS + 500);
      return false;
    });
    try {
      const calls = [1, 2, 3].map((id) => send(http.url, { headers, body: rpc('tools/call', UPDATE, id) }));
      await standIn.waitForRequests(3, 5_000);
      // A connection whose request has begun but not ended when the shutdown starts.
      const socket = connect(Number(new URL(http.url).port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`GET /healthz HTTP/1.1\r\nhost: ${hostOf(http.url)}\r\n`);
      await sleep(50);
      const report = http.service.shutdown(10_000);
      await expect(send(http.url, { method: 'GET', path: '/healthz' })).rejects.toThrow(/ECONNREFUSED/);
      const answer = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('close', () => resolve(text));
      });
      socket.write('\r\n');
      expect(await answer).toMatch(/^HTTP\/1\.1 503 .*"status":"draining"/s);
      for (const response of await Promise.all(calls)) {
        expect(response.status).toBe(200);
        expect(rpcResult(response).result.structuredContent).toMatchObject({ ok: true });
      }
      expect(await report).toEqual({ finished: 3, cancelled: 0, unsettled: 0, closed: true });
      const outcomes = readAudit(env.SOLARPROOF_AUDIT_LOG as string).filter(
        (r) => r.event === 'update_completed',
      );
      expect(outcomes.map((r) => r.outcome)).toEqual(['success', 'success', 'success']);
    } finally {
      standIn.setBehaviour(undefined);
      await http.close();
      seen.push(http.stderr());
    }
  });
});

describe('HTTP mode with a Solar Proof key per request (SOLARPROOF_HTTP_KEY_HEADER)', () => {
  const HEADER = 'x-solarproof-api-key';
  const KEY_A = 'spk_LEAKCHECK_account_A&+=/ 41';
  const KEY_B = 'spk_LEAKCHECK_account_B&+=/ 42';
  let anyKey: StandIn;
  let http: InProcessHttp;
  let env: Record<string, string>;
  const results: string[] = [];
  beforeAll(async () => {
    // This stand-in takes any key, as Solar Proof takes each account's own.
    anyKey = await startStandIn({ apiKey: undefined });
    const { SOLARPROOF_API_KEY: _none, ...rest } = envFor(anyKey, { SOLARPROOF_HTTP_KEY_HEADER: HEADER });
    env = rest;
    http = await startInProcessHttp(env);
  });
  afterAll(async () => {
    await http.close();
    await anyKey.close();
    const everything = [...results, http.stderr(), readAuditText(env.SOLARPROOF_AUDIT_LOG as string)];
    for (const text of everything) {
      expectNoKey(text, KEY_A);
      expectNoKey(text, KEY_B);
    }
  });

  it('each request uses its own key, for that request only, and the audit names the account by a fingerprint', async () => {
    const a = await httpClient(http.url, { [HEADER]: KEY_A });
    const b = await httpClient(http.url, { [HEADER]: KEY_B });
    try {
      const made: Array<{ key: string; requestId: string }> = [];
      for (let i = 0; i < 6; i++) {
        const [client, key] = i % 2 === 0 ? [a, KEY_A] : [b, KEY_B];
        const result = (await client.callTool({
          name: 'update_customer',
          arguments: { pkcustomerid: 79461, phone2: `0400 000 00${i}` },
        })) as CallToolResult;
        results.push(JSON.stringify(result));
        expect(structured(result)).toMatchObject({ ok: true });
        made.push({ key, requestId: structured(result).requestId as string });
      }
      const updates = anyKey.requests.filter((r) => r.query.action === 'updatecustomer');
      expect(updates.map((r) => r.query.api_key)).toEqual(made.map((m) => m.key));
      const records = readAudit(env.SOLARPROOF_AUDIT_LOG as string);
      for (const { key, requestId } of made) {
        const mine = records.filter((r) => r.requestId === requestId);
        expect(mine).toHaveLength(2);
        for (const record of mine) expect(record.keyId).toBe(keyFingerprint(key));
      }
      expect(keyFingerprint(KEY_A)).toMatch(/^[0-9a-f]{12}$/);
      expect(keyFingerprint(KEY_A)).not.toBe(keyFingerprint(KEY_B));
      expect(http.stderr()).toContain(keyFingerprint(KEY_B));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a request's key is redacted when Solar Proof echoes it", async () => {
    anyKey.once((_req, res, recorded) => {
      sendJson(res, 400, { code: 'INVALID_PARAMETERS', message: `Unknown key ${recorded.query.api_key}` });
      return true;
    });
    const a = await httpClient(http.url, { [HEADER]: KEY_A });
    try {
      const result = (await a.callTool(UPDATE)) as CallToolResult;
      results.push(JSON.stringify(result));
      expect(structured(result).message).toContain('Unknown key [REDACTED]');
    } finally {
      await a.close();
    }
  });

  it('keeps a customer cache per account: one account is never answered from another’s list', async () => {
    const a = await httpClient(http.url, { [HEADER]: KEY_A });
    const b = await httpClient(http.url, { [HEADER]: KEY_B });
    const search = { name: 'find_customers', arguments: { query: 'Smith' } };
    const pagesRead = () => anyKey.requests.filter((r) => r.query.action === 'getallcustomers');
    try {
      const before = pagesRead().length;
      const first = (await a.callTool(search)) as CallToolResult;
      results.push(JSON.stringify(first));
      expect(structured(first)).toMatchObject({ ok: true });
      // A scan keeps a few pages in flight; the ones past the end may land after the result.
      await sleep(300);
      const afterA = pagesRead();
      expect(afterA.length).toBeGreaterThan(before);
      expect(afterA.slice(before).every((r) => r.query.api_key === KEY_A)).toBe(true);

      const again = (await a.callTool(search)) as CallToolResult;
      results.push(JSON.stringify(again));
      expect(pagesRead().length, 'the same account is answered from its cache').toBe(afterA.length);

      const other = (await b.callTool(search)) as CallToolResult;
      results.push(JSON.stringify(other));
      await sleep(300);
      const afterB = pagesRead();
      expect(afterB.length, 'another account reads its own list').toBeGreaterThan(afterA.length);
      expect(afterB.slice(afterA.length).every((r) => r.query.api_key === KEY_B)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('one account never lists or undoes another account’s updates', async () => {
    const a = await httpClient(http.url, { [HEADER]: KEY_A });
    const b = await httpClient(http.url, { [HEADER]: KEY_B });
    const call = async (client: Client, name: string, args: Record<string, unknown>) => {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      results.push(JSON.stringify(result));
      return structured(result);
    };
    try {
      const made = await call(a, 'update_customer', { pkcustomerid: 80125, phone2: '0400 777 888' });
      expect(made).toMatchObject({ ok: true });
      const listedForA = await call(a, 'list_updates', { pkcustomerid: 80125 });
      expect((listedForA.updates as Array<{ requestId: string }>).map((u) => u.requestId)).toContain(
        made.requestId,
      );
      const listedForB = await call(b, 'list_updates', { pkcustomerid: 80125 });
      expect((listedForB.updates as Array<{ requestId: string }>).map((u) => u.requestId)).not.toContain(
        made.requestId,
      );
      const updatesBefore = anyKey.requests.filter((r) => r.query.action === 'updatecustomer').length;
      const undoByB = await call(b, 'undo_update', { requestId: made.requestId });
      expect(undoByB).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
      expect(anyKey.requests.filter((r) => r.query.action === 'updatecustomer').length).toBe(updatesBefore);
      const undoByA = await call(a, 'undo_update', { requestId: made.requestId });
      expect(undoByA).toMatchObject({ ok: true });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a request without the key, or with two, is refused with 400 and sends nothing', async () => {
    const before = anyKey.requests.length;
    const headers = { ...MCP_HEADERS, host: hostOf(http.url) };
    const missing = await send(http.url, { headers, body: updateBody });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).error.message).toContain(HEADER);
    const empty = await send(http.url, { headers: { ...headers, [HEADER]: ' ' }, body: updateBody });
    expect(empty.status).toBe(400);
    const two = await send(http.url, { headers: { ...headers, [HEADER]: [KEY_A, KEY_B] }, body: updateBody });
    expect(two.status).toBe(400);
    expect(anyKey.requests.length).toBe(before);
  });
});
