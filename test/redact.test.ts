import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, redactUrl } from '../src/redact.js';
import { expectNoKey, SENTINEL_KEY } from './helpers/harness.js';

describe('createRedactor', () => {
  const redact = createRedactor([SENTINEL_KEY]);

  it('replaces the raw key wherever it appears', () => {
    const text = `key=${SENTINEL_KEY}; again: ${SENTINEL_KEY}.`;
    expect(redact(text)).toBe(`key=${REDACTED}; again: ${REDACTED}.`);
  });

  it('replaces the encodeURIComponent form (space as %20)', () => {
    const encoded = encodeURIComponent(SENTINEL_KEY);
    expect(encoded).toContain('%20');
    const out = redact(`https://x.example/apidata.php?api_key=${encoded}&action=updatecustomer`);
    expect(out).toBe(`https://x.example/apidata.php?api_key=${REDACTED}&action=updatecustomer`);
    expectNoKey(out);
  });

  it('replaces the URLSearchParams form (space as +), as URL.searchParams writes it', () => {
    const url = new URL('https://x.example/apidata.php');
    url.searchParams.set('api_key', SENTINEL_KEY);
    url.searchParams.set('action', 'updatecustomer');
    expect(url.search).toContain('+7f3Qz');
    const out = redact(url.href);
    expect(out).toBe(`https://x.example/apidata.php?api_key=${REDACTED}&action=updatecustomer`);
    expectNoKey(out);
  });

  it('replaces the JSON-escaped form of a key holding quotes, backslashes and control characters', () => {
    const key = 'spk_"quoted"\\slash\ttab';
    const redactOdd = createRedactor([key]);
    const json = JSON.stringify({ data: { apikey: key, action: 'updatecustomer' } });
    expect(json).not.toContain(key);
    const out = redactOdd(json);
    expect(out).toBe(`{"data":{"apikey":"${REDACTED}","action":"updatecustomer"}}`);
    expect(JSON.parse(out)).toEqual({ data: { apikey: REDACTED, action: 'updatecustomer' } });
  });

  it('replaces every form inside a JSON rendering of a whole request', () => {
    const url = new URL('https://x.example/apidata.php');
    url.searchParams.set('api_key', SENTINEL_KEY);
    const text = JSON.stringify({
      url: url.href,
      encoded: encodeURIComponent(SENTINEL_KEY),
      body: { data: { apikey: SENTINEL_KEY } },
    });
    const out = redact(text);
    expectNoKey(out);
    expect(out.split(REDACTED)).toHaveLength(4);
  });

  it('handles several secrets, the longer one first so no tail survives', () => {
    const both = createRedactor(['abcd', 'abcdefgh', undefined]);
    expect(both('x abcdefgh y abcd z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(both('abcdefgh')).not.toContain('efgh');
  });

  it('ignores secrets shorter than 4 characters and undefined or empty ones', () => {
    const text = 'a short abc key and an empty one';
    expect(createRedactor(['abc'])(text)).toBe(text);
    expect(createRedactor([undefined, ''])(text)).toBe(text);
    expect(createRedactor([])(text)).toBe(text);
    expect(createRedactor(['abc', 'short'])(text)).toBe(`a ${REDACTED} abc key and an empty one`);
  });

  it('redacts text exactly as long as the shortest form of the key (text shorter is skipped unread)', () => {
    // A run of whitespace in the key can be one character of text.
    const key = 'spk  \t x7';
    const redactOdd = createRedactor([key]);
    expect(redactOdd('spk x7')).toBe(REDACTED);
    expect(redactOdd('spk\nx7')).toBe(REDACTED);
    expect(redactOdd('spkx7')).toBe('spkx7');
    expect(createRedactor(['k😀y4'])('k😀y4')).toBe(REDACTED);
    expect(redactOdd(Buffer.from(key).toString('base64'))).toContain(REDACTED);
  });

  it('leaves text without the key untouched', () => {
    const text = 'Customer 79461 updated: Zoë O’Brien & Sons, 李小龙 {"a":1}';
    expect(redact(text)).toBe(text);
  });
});

describe('redactUrl', () => {
  it('hides the api_key value and keeps the other parameters and the path', () => {
    const url = new URL('https://solarproof.com.au/apidata.php');
    url.searchParams.set('api_key', SENTINEL_KEY);
    url.searchParams.set('action', 'updatecustomer');
    const out = redactUrl(url);
    expectNoKey(out);
    const parsed = new URL(out);
    expect(parsed.origin).toBe('https://solarproof.com.au');
    expect(parsed.pathname).toBe('/apidata.php');
    expect(parsed.searchParams.get('api_key')).toBe(REDACTED);
    expect(parsed.searchParams.get('action')).toBe('updatecustomer');
    expect([...parsed.searchParams.keys()]).toEqual(['api_key', 'action']);
  });

  it('hides any parameter named like a credential, case-insensitively', () => {
    const out = new URL(
      redactUrl(
        'https://h.example/p?apiKey=aaaa&ACCESS_TOKEN=bbbb&client_secret=cccc&Password=dddd&customer_email=e@x.com',
      ),
    );
    expect(out.searchParams.get('apiKey')).toBe(REDACTED);
    expect(out.searchParams.get('ACCESS_TOKEN')).toBe(REDACTED);
    expect(out.searchParams.get('client_secret')).toBe(REDACTED);
    expect(out.searchParams.get('Password')).toBe(REDACTED);
    expect(out.searchParams.get('customer_email')).toBe('e@x.com');
  });

  it('accepts a string, leaves a URL without a query alone, and does not modify its argument', () => {
    expect(redactUrl('https://solarproof.com.au/apidata.php')).toBe('https://solarproof.com.au/apidata.php');
    const original = new URL('https://solarproof.com.au/apidata.php?api_key=secret123');
    redactUrl(original);
    expect(original.searchParams.get('api_key')).toBe('secret123');
  });
});
