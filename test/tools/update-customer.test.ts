/**
 * update_customer end to end: the server in process, driven by the SDK Client, talking to the
 * stand-in Solar Proof on 127.0.0.1. Every assertion on what went upstream reads
 * the stand-in's record of the real HTTP request. An update reads the record first and reads it
 * back after, so the misbehaviours meant for the update itself go through onUpdates.
 */
import { describe, expect, it } from 'vitest';
import { readAudit } from '../helpers/audit.js';
import {
  answer,
  envFor,
  expectNoKey,
  onUpdates,
  requestsSeen,
  SENTINEL_KEY,
  type ServerProcess,
  sentData,
  startInProcessServer,
  startStandIn,
  structured,
  tempAuditPath,
  textData,
  updateRequests,
  useStandInAndInProcessServer,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
const auditPath = tempAuditPath();
useStandInAndInProcessServer({ SOLARPROOF_TIMEOUT_MS: '3000', SOLARPROOF_AUDIT_LOG: auditPath }, (s, p) => {
  standIn = s;
  server = p;
});

describe('tools/list', () => {
  it('publishes the contract as a strict, portable schema with the documented annotations', async () => {
    const { tools } = await server.client.listTools();
    const tool = tools.find((t) => t.name === 'update_customer');
    expect(tool).toBeDefined();
    if (!tool) return;
    expect(tool.title).toBeTruthy();
    expect(tool.description).toMatch(/only the fields you pass/i);
    expect(tool.description).toMatch(/pkcustomerid/);
    expect(tool.description).toMatch(/email/i);
    expect(tool.description).toMatch(/idempotent|safe to repeat/i);
    expect(tool.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    });

    const schema = tool.inputSchema as Record<string, any>;
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['pkcustomerid']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        'pkcustomerid',
        'firstname',
        'surname',
        'email',
        'phone1',
        'phone2',
        'type',
        'companyname',
        'companyphone',
        'gststatus',
        'expect',
        'dryRun',
      ].sort(),
    );
    expect(schema.properties.pkcustomerid).toMatchObject({ type: 'integer', minimum: 1 });
    expect(schema.properties.type.enum).toEqual(['RESIDENTIAL', 'COMMERCIAL', 'LARGE-SCALE']);
    expect(schema.properties.gststatus).toMatchObject({ type: 'integer', minimum: 0, maximum: 1 });
    expect(schema.properties.email.format).toBe('email');
    for (const [name, property] of Object.entries<Record<string, unknown>>(schema.properties)) {
      expect(property.description, `${name} has a description`).toEqual(expect.any(String));
      if (property.type === 'string' && !property.enum)
        expect(property.maxLength, `${name} maxLength`).toBeGreaterThan(0);
    }

    // Portable core only: Gemini rejects exclusiveMinimum, several providers reject $schema.
    const text = JSON.stringify(schema);
    for (const banned of ['exclusiveMinimum', 'exclusiveMaximum', '$schema', 'anyOf', 'oneOf', '$ref']) {
      expect(text).not.toContain(banned);
    }

    const output = tool.outputSchema as Record<string, any>;
    expect(output.type).toBe('object');
    expect(output.required).toEqual(expect.arrayContaining(['ok', 'mode', 'message']));
    for (const field of [
      'customerId',
      'customer',
      'changes',
      'changed',
      'verified',
      'fieldsSent',
      'code',
      'retryable',
      'hint',
      'issues',
      'applied',
      'current',
      'inUseBy',
    ]) {
      expect(output.properties[field], field).toBeDefined();
    }
  });
});

describe('successful updates', () => {
  it('sends a partial update with exactly the given fields, in the documented shape and query', async () => {
    const result = await server.call({ pkcustomerid: 79461, phone1: '0400999888' });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toEqual({
      ok: true,
      mode: 'live',
      message: 'Customer updated successfully!',
      customerId: 79461,
      customer: { pkcustomerid: 79461, firstname: 'John', surname: 'Smith', email: 'john.smith@example.com' },
      changed: true,
      changes: [{ field: 'phone1', from: '0412345678', to: '0400999888' }],
      unchanged: [],
      fieldsSent: ['phone1'],
      verified: true,
      attempts: 1,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(textData(result)).toEqual(structured(result));
    const summary = result.content[0]?.type === 'text' ? result.content[0].text.split('\n')[0] : '';
    expect(summary).toBe('Updated John Smith (79461): phone1 0412345678 → 0400999888.');

    // Read first, the one update, read back.
    expect(requestsSeen(standIn)).toEqual(['read 79461', 'update', 'read 79461']);
    const sent = standIn.requests[1];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/apidata.php');
    expect(sent?.rawQuery).toBe(
      `api_key=${new URLSearchParams({ k: SENTINEL_KEY }).toString().slice(2)}&action=updatecustomer`,
    );
    expect(sent?.query).toEqual({ api_key: SENTINEL_KEY, action: 'updatecustomer' });
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers['user-agent']).toMatch(/^solarproof-mcp\/\d+\.\d+\.\d+ /);
    expect(sent?.body).toEqual({
      data: { apikey: SENTINEL_KEY, action: 'updatecustomer', pkcustomerid: 79461, phone1: '0400999888' },
    });
    // The partial update left everything else alone.
    expect(standIn.customers.get(79461)).toMatchObject({
      phone1: '0400999888',
      firstname: 'John',
      phone2: '0298765432',
    });
  });

  it('sends a full update of all ten fields with their types', async () => {
    const full = {
      pkcustomerid: 80125,
      firstname: 'Zoë',
      surname: 'O’Brien-Nguyễn',
      email: 'zoe.obrien@example.com.au',
      phone1: '+61 412 345 678',
      phone2: '(02) 9876 5432',
      type: 'COMMERCIAL',
      companyname: 'Sun & Sons 太阳能 Pty Ltd',
      companyphone: '1300 123 456',
      gststatus: 1,
    };
    const result = await server.call(full);
    expect(structured(result)).toMatchObject({
      ok: true,
      customerId: 80125,
      fieldsSent: [
        'firstname',
        'surname',
        'email',
        'phone1',
        'phone2',
        'type',
        'companyname',
        'companyphone',
        'gststatus',
      ],
    });
    const data = sentData(standIn);
    expect(data).toEqual({ apikey: SENTINEL_KEY, action: 'updatecustomer', ...full });
    expect(typeof data.pkcustomerid).toBe('number');
    expect(typeof data.gststatus).toBe('number');
    // Values went out byte for byte: accents, apostrophes, CJK and ampersands intact.
    expect(updateRequests(standIn)[0]?.rawBody).toContain('"companyname":"Sun & Sons 太阳能 Pty Ltd"');
  });

  it('sends gststatus 0 and empty optional strings (a clear), which are values, not omissions', async () => {
    await server.call({ pkcustomerid: 79461, gststatus: 0, phone2: '', companyname: '' });
    expect(sentData(standIn)).toEqual({
      apikey: SENTINEL_KEY,
      action: 'updatecustomer',
      pkcustomerid: 79461,
      phone2: '',
      companyname: '',
      gststatus: 0,
    });
  });

  it('accepts the older success shape that returns id instead of CustomerId', async () => {
    standIn.setBehaviour(
      onUpdates(answer(200, { Message: 'Customer updated successfully!', id: '79461' }), 1),
    );
    const result = await server.call({ pkcustomerid: 79461, firstname: 'Jon' });
    expect(structured(result)).toMatchObject({ ok: true, customerId: 79461 });
  });
});

describe('upstream errors', () => {
  const documented = [
    ['INVALID_API_KEY', 401, 'The provided API key is invalid or missing', false, /SOLARPROOF_API_KEY/],
    [
      'INVALID_PARAMETERS',
      400,
      'Required parameter pkcustomerid is missing or invalid',
      false,
      /pkcustomerid/,
    ],
    ['CUSTOMER_NOT_FOUND', 404, 'No customer exists with ID: 79461', false, /email/],
    [
      'PERMISSION_DENIED',
      403,
      "You don't have permission to update this customer",
      false,
      /administrator|permission|access/i,
    ],
    ['UPDATE_FAILED', 500, 'Customer update failed due to a server error', true, /again/i],
  ] as const;

  it.each(documented)(
    '%s keeps its name, message and gets a hint',
    async (code, status, message, retryable, hint) => {
      standIn.setBehaviour(onUpdates(answer(status, { code, message })));
      const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
      expect(result.isError).toBe(true);
      expect(structured(result)).toMatchObject({
        ok: false,
        mode: 'live',
        code,
        message,
        retryable,
        httpStatus: status,
      });
      expect(structured(result).hint).toMatch(hint);
      expect(textData(result)).toEqual(structured(result));
      // Not retried: these are answers, not outages.
      expect(requestsSeen(standIn)).toEqual(['read 79461', 'update']);
    },
  );

  it('produces the real CUSTOMER_NOT_FOUND (before any update) and PERMISSION_DENIED from the stand-in contract', async () => {
    // Id lookups have worked in this process, so a not-found is a not-found.
    const missing = await server.call({ pkcustomerid: 999999, firstname: 'Nobody' });
    expect(structured(missing)).toMatchObject({
      code: 'CUSTOMER_NOT_FOUND',
      message: 'No customer exists with ID: 999999',
    });
    expect(String(structured(missing).hint)).toMatch(/nothing was sent/i);
    expect(requestsSeen(standIn)).toEqual(['read 999999']);
    const locked = await server.call({ pkcustomerid: 83019, firstname: 'Ari' });
    expect(structured(locked)).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('treats an error body under HTTP 200 as an error', async () => {
    standIn.setBehaviour(
      onUpdates(answer(200, { code: 'CUSTOMER_NOT_FOUND', message: 'No customer exists with ID: 79461' })),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ code: 'CUSTOMER_NOT_FOUND', httpStatus: 200 });
  });

  it('keeps an undocumented upstream code as upstreamCode under UPSTREAM_ERROR', async () => {
    standIn.setBehaviour(
      onUpdates(answer(409, { code: 'DUPLICATE_EMAIL', message: 'Email already in use' })),
    );
    const result = await server.call({ pkcustomerid: 79461, email: 'taken@example.com' });
    expect(structured(result)).toMatchObject({
      code: 'UPSTREAM_ERROR',
      upstreamCode: 'DUPLICATE_EMAIL',
      message: 'Email already in use',
    });
  });

  it('trims a huge upstream message and never echoes the key even if the upstream does', async () => {
    standIn.setBehaviour(
      onUpdates(
        answer(401, { code: 'INVALID_API_KEY', message: `Bad key ${SENTINEL_KEY} ${'x'.repeat(5000)}` }),
      ),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    const message = String(structured(result).message);
    expect(message.length).toBeLessThanOrEqual(500);
    expect(message).toContain('[REDACTED]');
    expectNoKey(JSON.stringify(result));
  });

  it('redacts the key before cutting upstream text, so no half of it survives the excerpt', async () => {
    // The excerpt of an HTML body is 120 characters: put the key across that boundary.
    const page = `<html><body>${'e'.repeat(95)} ${SENTINEL_KEY} ${'f'.repeat(200)}</body></html>`;
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/html' }).end(page);
        return true;
      }, 1),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ code: 'UPSTREAM_SERVER_ERROR' });
    const text = JSON.stringify(result);
    expect(text).not.toContain(SENTINEL_KEY.slice(0, 12));
    expect(text).toContain('[REDACTED]');
  });

  it('reports a malformed HTTP response (an invalid Content-Length) as UNEXPECTED_RESPONSE, not INTERNAL', async () => {
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res.socket?.end('HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}');
        return true;
      }, 1),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE' });
    expect(String(structured(result).message)).toMatch(/malformed HTTP response/);
  });

  it('reports an HTML 500 page as UPSTREAM_SERVER_ERROR', async () => {
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res
          .writeHead(500, { 'content-type': 'text/html' })
          .end('<html><body><h1>Internal Server Error</h1></body></html>');
        return true;
      }, 1),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({
      ok: false,
      code: 'UPSTREAM_SERVER_ERROR',
      httpStatus: 500,
      retryable: true,
    });
    expect(structured(result).message).toContain('Internal Server Error');
  });

  it('reports a non-JSON 200 as UNEXPECTED_RESPONSE', async () => {
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
        return true;
      }, 1),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE', httpStatus: 200 });
  });

  it('reports JSON 200 of an unknown shape as UNEXPECTED_RESPONSE', async () => {
    standIn.setBehaviour(onUpdates(answer(200, { result: 'done' }), 1));
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE' });
  });
});

describe('transport failures', () => {
  it('ends a silent upstream with TIMEOUT at the deadline', async () => {
    standIn.setBehaviour(onUpdates(() => true, 1)); // never answers
    const started = performance.now();
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    const elapsed = performance.now() - started;
    // The record read back shows the update was not applied, so repeating it is the thing to do.
    expect(structured(result)).toMatchObject({ ok: false, code: 'TIMEOUT', retryable: true, applied: false });
    expect(elapsed).toBeGreaterThan(2_500);
    expect(elapsed).toBeLessThan(8_000);
  });

  it('ends a body that trickles forever with TIMEOUT at the deadline', async () => {
    let timer: NodeJS.Timeout | undefined;
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"Message": "');
        timer = setInterval(() => res.write('.'), 50);
        res.on('close', () => clearInterval(timer));
        return true;
      }, 1),
    );
    const started = performance.now();
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    clearInterval(timer);
    expect(structured(result)).toMatchObject({ code: 'TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(6_000);
  });

  it('cuts off a 30 MB body as RESPONSE_TOO_LARGE', async () => {
    let written = 0;
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = () => {
          while (written < 30 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => {});
        pump();
        return true;
      }, 1),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'RESPONSE_TOO_LARGE' });
    // It stopped reading long before the end: nowhere near 30 MB crossed the socket.
    expect(written).toBeLessThan(30 * 1024 * 1024);
    expect(JSON.stringify(result).length).toBeLessThan(5_000);
  });

  it('refuses a redirect and never reaches its target', async () => {
    standIn.setBehaviour(
      onUpdates(
        answer(
          302,
          { moved: true },
          { location: `${standIn.url}/elsewhere.php?api_key=${encodeURIComponent(SENTINEL_KEY)}` },
        ),
        1,
      ),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ ok: false, code: 'REDIRECT_REFUSED', httpStatus: 302 });
    expect(standIn.requests.map((r) => r.path)).toEqual(['/apidata.php', '/apidata.php']);
  });

  it('retries a 503 and succeeds', async () => {
    standIn.setBehaviour(onUpdates(answer(503, { error: 'maintenance' }), 1));
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({ ok: true, attempts: 2 });
    const updates = updateRequests(standIn);
    expect(updates).toHaveLength(2);
    expect(updates[1]?.body).toEqual(updates[0]?.body);
  });

  it('does not retry a documented, final error even when it comes with a 503', async () => {
    standIn.setBehaviour(
      onUpdates(
        answer(503, { code: 'INVALID_API_KEY', message: 'The provided API key is invalid or missing' }),
      ),
    );
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({
      ok: false,
      code: 'INVALID_API_KEY',
      httpStatus: 503,
      attempts: 1,
    });
    expect(updateRequests(standIn)).toHaveLength(1);
  });

  it('stops after 3 attempts when the upstream stays at 503', async () => {
    standIn.setBehaviour(onUpdates(answer(503, { error: 'maintenance' })));
    const result = await server.call({ pkcustomerid: 79461, surname: 'Smyth' });
    expect(structured(result)).toMatchObject({
      ok: false,
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 3,
      retryable: true,
    });
    expect(updateRequests(standIn)).toHaveLength(3);
  });

  it('cancellation aborts the upstream request', async () => {
    standIn.setBehaviour(onUpdates(() => true, 1)); // hold the request open
    const controller = new AbortController();
    const call = server.call({ pkcustomerid: 79461, surname: 'Smyth' }, { signal: controller.signal });
    await standIn.waitForRequests(2); // the read first, then the update
    controller.abort();
    await expect(call).rejects.toThrow();
    await expect.poll(() => updateRequests(standIn)[0]?.abortedByClient, { timeout: 2_000 }).toBe(true);
    // Cancellation ends the call at once: nothing is read back.
    expect(requestsSeen(standIn)).toEqual(['read 79461', 'update']);
    // The audit log says how it ended.
    await expect
      .poll(
        () =>
          readAudit(auditPath)
            .filter((r) => r.event === 'update_completed')
            .at(-1),
        { timeout: 2_000 },
      )
      .toMatchObject({ outcome: 'error', code: 'CANCELLED', customerId: 79461, applied: 'unknown' });
  });

  it('gives each of 40 concurrent calls its own result', async () => {
    const ids = [79461, 80125, 81307, 82550];
    const calls = Array.from({ length: 40 }, (_, i) =>
      server.call({
        pkcustomerid: ids[i % ids.length] as number,
        phone2: `0298 000 ${String(i).padStart(3, '0')}`,
      }),
    );
    const results = await Promise.all(calls);
    // Each result is this call's own: its requestId leads, in the audit log, to the very values it sent.
    const requested = new Map(
      readAudit(auditPath)
        .filter((r) => r.event === 'update_requested')
        .map((r) => [r.requestId, r]),
    );
    results.forEach((result, i) => {
      const data = structured(result);
      expect(data).toMatchObject({ ok: true, customerId: ids[i % ids.length], fieldsSent: ['phone2'] });
      expect(requested.get(String(data.requestId))).toMatchObject({
        customerId: ids[i % ids.length],
        fields: { phone2: `0298 000 ${String(i).padStart(3, '0')}` },
      });
    });
    expect(new Set(results.map((r) => structured(r).requestId)).size).toBe(40);
    const sentPhones = updateRequests(standIn)
      .map((r) => (r.body as { data: { phone2: string } }).data.phone2)
      .sort();
    expect(sentPhones).toEqual(
      Array.from({ length: 40 }, (_, i) => `0298 000 ${String(i).padStart(3, '0')}`).sort(),
    );
  });
});

describe('invalid arguments never reach Solar Proof', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['missing id', { firstname: 'John' }, 'pkcustomerid'],
    ['id as a string', { pkcustomerid: '79461', firstname: 'John' }, 'pkcustomerid'],
    ['zero id', { pkcustomerid: 0, firstname: 'John' }, 'pkcustomerid'],
    ['negative id', { pkcustomerid: -5, firstname: 'John' }, 'pkcustomerid'],
    ['fractional id', { pkcustomerid: 79461.5, firstname: 'John' }, 'pkcustomerid'],
    ['nothing to change', { pkcustomerid: 79461 }, ''],
    ['unknown key', { pkcustomerid: 79461, firstname: 'John', nickname: 'JJ' }, 'nickname'],
    ['action override', { pkcustomerid: 79461, firstname: 'John', action: 'deletecustomer' }, 'action'],
    ['apikey override', { pkcustomerid: 79461, firstname: 'John', apikey: 'other' }, 'apikey'],
    ['bad email', { pkcustomerid: 79461, email: 'john.smith@' }, 'email'],
    ['email with a space', { pkcustomerid: 79461, email: 'john smith@example.com' }, 'email'],
    ['empty email', { pkcustomerid: 79461, email: '' }, 'email'],
    ['empty first name', { pkcustomerid: 79461, firstname: '' }, 'firstname'],
    ['blank surname', { pkcustomerid: 79461, surname: '   ' }, 'surname'],
    ['newline in a name', { pkcustomerid: 79461, firstname: 'John\nDROP' }, 'firstname'],
    ['empty phone1', { pkcustomerid: 79461, phone1: '' }, 'phone1'],
    ['letters in phone1', { pkcustomerid: 79461, phone1: '0412 CALL ME' }, 'phone1'],
    ['letters in companyphone', { pkcustomerid: 79461, companyphone: 'ext. 12' }, 'companyphone'],
    ['overlong name', { pkcustomerid: 79461, firstname: 'J'.repeat(101) }, 'firstname'],
    ['overlong company', { pkcustomerid: 79461, companyname: 'C'.repeat(151) }, 'companyname'],
    ['overlong phone', { pkcustomerid: 79461, phone2: '1'.repeat(31) }, 'phone2'],
    ['lower-case type', { pkcustomerid: 79461, type: 'residential' }, 'type'],
    ['unknown type', { pkcustomerid: 79461, type: 'INDUSTRIAL' }, 'type'],
    ['gststatus 2', { pkcustomerid: 79461, gststatus: 2 }, 'gststatus'],
    ['gststatus as text', { pkcustomerid: 79461, gststatus: '1' }, 'gststatus'],
    ['gststatus as boolean', { pkcustomerid: 79461, gststatus: true }, 'gststatus'],
    ['null field', { pkcustomerid: 79461, firstname: null }, 'firstname'],
    [
      'an own __proto__ key',
      JSON.parse('{"pkcustomerid":79461,"firstname":"J","__proto__":{"x":1}}'),
      '__proto__',
    ],
    ['a name of zero-width spaces only', { pkcustomerid: 79461, firstname: '\u200b\u200b' }, 'firstname'],
    ['a C1 line break (NEL) in a name', { pkcustomerid: 79461, surname: 'Smith\u0085Jones' }, 'surname'],
    [
      'a bidi override in a company name',
      { pkcustomerid: 79461, companyname: 'Acme \u202eLtd' },
      'companyname',
    ],
    ['a quote in an email', { pkcustomerid: 79461, email: 'jo"hn@example.com' }, 'email'],
    ['a control character in an email', { pkcustomerid: 79461, email: 'jo\u0001hn@example.com' }, 'email'],
    ['lone surrogate in a name', { pkcustomerid: 79461, firstname: 'Jo\ud800' }, 'firstname'],
    ['lone surrogate in an email', { pkcustomerid: 79461, email: 'jo\udc00@example.com' }, 'email'],
  ];

  it.each(cases)('%s → INVALID_ARGUMENTS naming the field', async (_label, args, path) => {
    const result = await server.call(args);
    expect(result.isError).toBe(true);
    const data = structured(result);
    expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS', retryable: false });
    expect(String(data.hint)).toMatch(/nothing was sent|before anything was sent/i);
    const issues = data.issues as Array<{ path: string; message: string }>;
    expect(issues.length).toBeGreaterThan(0);
    if (path) expect(issues.map((i) => i.path).join(' ')).toContain(path);
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('configuration', () => {
  it('with no key, still lists tools, and a call names SOLARPROOF_API_KEY and sends nothing', async () => {
    const keyless = await startInProcessServer({ SOLARPROOF_BASE_URL: standIn.url });
    try {
      const { tools } = await keyless.client.listTools();
      expect(tools.map((t) => t.name)).toContain('update_customer');
      const result = await keyless.call({ pkcustomerid: 79461, firstname: 'John' });
      expect(structured(result)).toMatchObject({ ok: false, code: 'CONFIGURATION', retryable: false });
      expect(String(structured(result).message)).toContain('SOLARPROOF_API_KEY');
      expect(standIn.requests).toHaveLength(0);
    } finally {
      await keyless.close();
    }
  });

  it('a wrong key comes back as INVALID_API_KEY', async () => {
    const wrong = await startInProcessServer(envFor(standIn, { SOLARPROOF_API_KEY: 'spk_wrong_key' }));
    try {
      const result = await wrong.call({ pkcustomerid: 79461, firstname: 'John' });
      expect(structured(result)).toMatchObject({ ok: false, code: 'INVALID_API_KEY', httpStatus: 401 });
      expect(JSON.stringify(result)).not.toContain('spk_wrong_key');
    } finally {
      await wrong.close();
    }
  });

  it('refuses plain http to a non-loopback host before sending anything', async () => {
    const insecure = await startInProcessServer({
      SOLARPROOF_API_KEY: SENTINEL_KEY,
      SOLARPROOF_BASE_URL: 'http://solarproof.com.au',
    });
    try {
      const result = await insecure.call({ pkcustomerid: 79461, firstname: 'John' });
      expect(structured(result)).toMatchObject({ ok: false, code: 'CONFIGURATION' });
      expect(String(structured(result).message)).toMatch(/https/);
      expectNoKey(JSON.stringify(result));
      expectNoKey(insecure.stderr());
    } finally {
      await insecure.close();
    }
  });

  it('SOLARPROOF_HTTP_METHOD=PUT switches the method', async () => {
    const put = await startInProcessServer(envFor(standIn, { SOLARPROOF_HTTP_METHOD: 'PUT' }));
    try {
      const result = await put.call({ pkcustomerid: 79461, firstname: 'Jon' });
      expect(structured(result)).toMatchObject({ ok: true });
      expect(updateRequests(standIn)[0]?.method).toBe('PUT');
    } finally {
      await put.close();
    }
  });

  it('reports connection refused as NETWORK after 3 attempts', async () => {
    const gone = await startStandIn();
    const url = gone.url;
    await gone.close();
    const orphan = await startInProcessServer({ SOLARPROOF_API_KEY: SENTINEL_KEY, SOLARPROOF_BASE_URL: url });
    try {
      const result = await orphan.call({ pkcustomerid: 79461, firstname: 'John' });
      expect(structured(result)).toMatchObject({ ok: false, code: 'NETWORK', retryable: true, attempts: 3 });
    } finally {
      await orphan.close();
    }
  });
});
