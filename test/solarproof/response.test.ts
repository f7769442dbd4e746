/** The pure decisions behind every Solar Proof request: what an answer means, and when to retry. */
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../../src/redact.js';
import {
  type Classified,
  classifyRequestError,
  classifyResponse,
  parseRetryAfter,
} from '../../src/solarproof/response.js';
import { backoff, nextDelay, type RetryPolicy } from '../../src/solarproof/retry.js';
import { SENTINEL_KEY } from '../helpers/harness.js';

const URL_ASKED = new URL('http://127.0.0.1:9/apidata.php?api_key=secret&action=updatecustomer');
const redact = createRedactor([SENTINEL_KEY]);
const classify = (status: number, text = '', headers: Record<string, string> = {}): Classified =>
  classifyResponse({ status, headers, text }, URL_ASKED, redact);
const code = (outcome: Classified) => (outcome.kind === 'answer' ? 'answer' : outcome.error.code);

describe('classifyResponse', () => {
  it('a 2xx JSON body is an answer for the endpoint to parse', () => {
    expect(classify(200, '{"Message":"ok","CustomerId":"79461"}')).toEqual({
      kind: 'answer',
      status: 200,
      body: { Message: 'ok', CustomerId: '79461' },
    });
  });

  it('a 2xx body that is not JSON is UNEXPECTED_RESPONSE, with an excerpt and the content type', () => {
    const outcome = classify(200, '<html><b>Login</b></html>', {
      'content-type': 'text/html; charset=utf-8',
    });
    expect(outcome.kind).toBe('fail');
    expect(code(outcome)).toBe('UNEXPECTED_RESPONSE');
    if (outcome.kind === 'fail') expect(outcome.error.message).toContain('text/html: "Login"');
    expect(code(classify(204))).toBe('UNEXPECTED_RESPONSE');
  });

  it('a redirect is refused and never names the query string’s key', () => {
    const outcome = classify(302, '', { location: '/login?api_key=abc123&x=1' });
    expect(code(outcome)).toBe('REDIRECT_REFUSED');
    if (outcome.kind === 'fail') expect(outcome.error.message).not.toContain('abc123');
  });

  it('429 and 502–504 are retryable and carry Retry-After', () => {
    const limited = classify(429, '', { 'retry-after': '7' });
    expect(limited).toMatchObject({ kind: 'retry', retryAfterMs: 7_000 });
    expect(code(limited)).toBe('RATE_LIMITED');
    if (limited.kind === 'retry') expect(limited.error.details.retryAfterSeconds).toBe(7);
    for (const status of [502, 503, 504]) {
      const outcome = classify(status);
      expect(outcome.kind).toBe('retry');
      expect(code(outcome)).toBe('UPSTREAM_UNAVAILABLE');
    }
  });

  it('a documented code is final whatever status carries it, 503 and 200 included', () => {
    const body = '{"code":"INVALID_API_KEY","message":"Invalid API key"}';
    expect(classify(503, body)).toMatchObject({ kind: 'fail' });
    expect(code(classify(503, body))).toBe('INVALID_API_KEY');
    expect(code(classify(401, body))).toBe('INVALID_API_KEY');
  });

  it('other error statuses without a documented code split into server and HTTP errors', () => {
    expect(code(classify(500, 'boom'))).toBe('UPSTREAM_SERVER_ERROR');
    expect(code(classify(404, 'nope'))).toBe('UPSTREAM_HTTP_ERROR');
    expect(code(classify(500, '{"code":"WEIRD","message":"odd"}'))).toBe('UPSTREAM_ERROR');
  });

  it('redacts the key again once JSON escapes are decoded', () => {
    const escaped = JSON.stringify({ echo: SENTINEL_KEY }).replaceAll('&', '\\u0026');
    const outcome = classify(200, escaped);
    expect(outcome).toEqual({ kind: 'answer', status: 200, body: { echo: REDACTED } });
  });
});

describe('classifyRequestError', () => {
  it('tells a connection failure from a malformed answer from anything else', () => {
    expect(classifyRequestError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toEqual({
      kind: 'connection',
      description: 'ECONNREFUSED',
    });
    const nested = Object.assign(new Error('x'), {
      code: 'UND_ERR_SOCKET',
      cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }),
    });
    expect(classifyRequestError(nested)).toEqual({
      kind: 'connection',
      description: 'UND_ERR_SOCKET (ECONNRESET)',
    });
    expect(classifyRequestError(Object.assign(new Error('bad'), { name: 'HTTPParserError' }))).toEqual({
      kind: 'malformed',
    });
    expect(classifyRequestError(Object.assign(new Error('bad'), { code: 'HPE_INVALID_CONSTANT' }))).toEqual({
      kind: 'malformed',
    });
    expect(classifyRequestError(new TypeError('bug'))).toEqual({ kind: 'other' });
    // undici's header and body timers: the deadline's TIMEOUT, never an INTERNAL error (found by the soak).
    expect(
      classifyRequestError(
        Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
      ),
    ).toEqual({
      kind: 'timeout',
    });
    expect(
      classifyRequestError(Object.assign(new Error('x'), { cause: { code: 'UND_ERR_BODY_TIMEOUT' } })),
    ).toEqual({ kind: 'timeout' });
  });
});

describe('nextDelay', () => {
  const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 };

  it('backs off exponentially within [ceiling/2, ceiling], capped', () => {
    expect(backoff(policy, 1, 0)).toBe(125);
    expect(backoff(policy, 1, 1)).toBe(250);
    expect(backoff(policy, 2, 0.5)).toBe(375);
    expect(backoff(policy, 10, 1)).toBe(2_000);
  });

  it('waits at least what Retry-After asks', () => {
    expect(nextDelay(policy, { attempts: 1, retryAfterMs: 1_500, remainingMs: 10_000, random: 0 })).toBe(
      1_500,
    );
    expect(nextDelay(policy, { attempts: 1, retryAfterMs: 0, remainingMs: 10_000, random: 0 })).toBe(125);
  });

  it('gives up after the last attempt, and when the wait would outlast the deadline', () => {
    expect(nextDelay(policy, { attempts: 3, remainingMs: 10_000, random: 0 })).toBeUndefined();
    expect(
      nextDelay(policy, { attempts: 1, retryAfterMs: 5_000, remainingMs: 4_000, random: 0 }),
    ).toBeUndefined();
    expect(nextDelay(policy, { attempts: 1, remainingMs: 125, random: 0 })).toBeUndefined();
    expect(nextDelay(policy, { attempts: 1, remainingMs: 126, random: 0 })).toBe(125);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2025-03-14T09:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 7 ', now)).toBe(7_000);
    expect(parseRetryAfter('Fri, 14 Mar 2025 09:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 14 Mar 2025 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    // Bare numbers that are not delta-seconds are not dates either (Date.parse reads '-5' as a year).
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});
