/**
 * Issue 7, "also observed": keys reached a text in encodings the redactor did not know (lowercase
 * percent-encoding, double URL-encoding, PHP htmlspecialchars' &#039;, base64), and cleaning a text
 * (runs of whitespace and controls flattened to one space) could rebuild a key the redactor had
 * not matched. Each form the README names is checked here, and the redactor stays linear.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../src/redact.js';
import { cleanUpstreamText } from '../src/solarproof/errors.js';
import { expectNoKey, SENTINEL_KEY } from './helpers/harness.js';

const redact = createRedactor([SENTINEL_KEY]);
const KEY = SENTINEL_KEY;
/** PHP's htmlspecialchars with ENT_QUOTES (the PHP 8.1 default): &#039; for an apostrophe. */
const htmlspecialchars = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#039;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
/** PHP's urlencode: like a form, but also "~" and "*" encoded. */
const phpUrlencode = (text: string) =>
  encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');

function expectRedacted(text: string): void {
  const out = redact(`before ${text} after`);
  expect(out, JSON.stringify(text)).toBe(`before ${REDACTED} after`);
}

describe('the forms the README promises', () => {
  it.each([
    ['raw', KEY],
    ['in another letter case', KEY.toLowerCase()],
    ['percent-encoded, uppercase hex', encodeURIComponent(KEY)],
    ['percent-encoded, lowercase hex', lowerHex(encodeURIComponent(KEY))],
    ['form-encoded (+ for a space)', new URLSearchParams({ k: KEY }).toString().slice(2)],
    ['form-encoded, lowercase hex', lowerHex(new URLSearchParams({ k: KEY }).toString().slice(2))],
    ['PHP urlencode', phpUrlencode(KEY)],
    ['percent-encoded twice', encodeURIComponent(encodeURIComponent(KEY))],
    ['percent-encoded twice, lowercase', lowerHex(encodeURIComponent(encodeURIComponent(KEY)))],
    ['form-encoded twice', encodeURIComponent(new URLSearchParams({ k: KEY }).toString().slice(2))],
    ['mixed: some characters encoded, some not', KEY.replace('&', '%26').replace('/', '%2f')],
    ['JSON-escaped', JSON.stringify(KEY).slice(1, -1)],
    ['JSON-escaped the PHP way (\\/)', JSON.stringify(KEY).slice(1, -1).replaceAll('/', '\\/')],
    [
      'JSON \\u escapes for every character',
      [...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    ],
    ['HTML-escaped', htmlspecialchars(KEY)],
    ['HTML decimal references', KEY.replace('&', '&#38;').replace('/', '&#047;')],
    ['HTML hex references', KEY.replace('&', '&#x26;').replace('=', '&#X3D;')],
    ['a newline and a tab where the key has a space', KEY.replace(' ', '\n\t')],
    ['a JSON \\n where the key has a space', KEY.replace(' ', '\\n')],
    ['NUL and a no-break space where the key has a space', KEY.replace(' ', '\u0000\u00a0')],
  ])('%s', (_label, form) => {
    expectRedacted(form);
  });

  it("PHP htmlspecialchars' &#039; for an apostrophe in a key", () => {
    const key = "spk_it's-a-key";
    expect(createRedactor([key])(`x ${htmlspecialchars(key)} y`)).toBe(`x ${REDACTED} y`);
    expect(createRedactor([key])(`x ${key.replace("'", '&#39;')} y`)).toBe(`x ${REDACTED} y`);
    expect(createRedactor([key])(`x ${key.replace("'", '&apos;')} y`)).toBe(`x ${REDACTED} y`);
  });

  it('base64 of a text holding the key, at each of the three byte offsets, in both alphabets', () => {
    for (const before of ['', 'a', 'ab', 'abc', 'user:']) {
      for (const encoding of ['base64', 'base64url'] as const) {
        const encoded = Buffer.from(`${before}${KEY}&more`).toString(encoding);
        const out = redact(encoded);
        expect(out, `${encoding} after ${JSON.stringify(before)}`).toContain(REDACTED);
        // At most the two characters at each end that also carry neighbouring bits survive.
        const [head, tail] = out.split(REDACTED) as [string, string];
        const full = Buffer.from(before).toString(encoding).replace(/=+$/, '');
        expect(head.length).toBeLessThanOrEqual(full.length + 1);
        expect(tail.length).toBeLessThanOrEqual(Buffer.from('&more').toString(encoding).length + 2);
      }
    }
  });

  it('a text cleaned for a reply cannot rebuild a key the redactor missed', () => {
    // cleanUpstreamText flattens any run of whitespace and controls to one space, which turns
    // this back into the raw key: the redactor must have caught it before.
    const text = `${'x'.repeat(480)}${KEY.replace(' ', '\r\n\u0007 ')}`;
    const cleaned = cleanUpstreamText(redact(text));
    expectNoKey(cleaned);
    expect(cleaned).toContain(REDACTED);
  });

  it('leaves ordinary text alone, including near misses', () => {
    const text = `Customer 79461 updated: Zoë O’Brien &amp; Sons &#039;x&#039; %2B c3BrX0xF ${KEY.slice(0, -1)}`;
    expect(redact(text)).toBe(text);
  });
});

describe('the redactor is linear in its input', () => {
  /** Fastest of a few runs: the least disturbed on a loaded machine. */
  const fastest = (fn: () => unknown) => {
    let best = Number.POSITIVE_INFINITY;
    fn();
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      fn();
      best = Math.min(best, performance.now() - started);
    }
    return best;
  };
  const prefix = KEY.slice(0, KEY.indexOf(' '));
  it.each([
    ['repeated near misses', (n: number) => `${KEY.slice(0, -1)}!`.repeat(n / 26)],
    ['the key up to its space, then a long run of spaces', (n: number) => `${prefix}${' '.repeat(n)}`],
    ['… then a long run of %20', (n: number) => `${prefix}${'%20'.repeat(n / 3)}`],
    ['… then a long run of \\u0020', (n: number) => `${prefix}${'\\u0020'.repeat(n / 6)}`],
    ['… then a long run of &#32;', (n: number) => `${prefix}${'&#0032;'.repeat(n / 7)}`],
    ['a long run of "%"', (n: number) => '%'.repeat(n)],
    ['a long run of "&#0"', (n: number) => `&#${'0'.repeat(n)}`],
  ])('%s: 8× the text takes about 8× the time, not 64×', (_label, make) => {
    // 8× apart, so linear (8) and quadratic (64) stay far apart even when the machine is busy.
    const small = make(200_000);
    const large = make(1_600_000);
    const ratio =
      fastest(() => redact(large)) /
      Math.max(
        fastest(() => redact(small)),
        0.2,
      );
    expect(ratio).toBeLessThan(24);
  });
});
