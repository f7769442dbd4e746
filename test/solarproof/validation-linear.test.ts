/**
 * Issue 7, item 1: validation is linear in its input, and an over-long value is refused without
 * being read. The old anchored patterns backtracked quadratically ("a"×80000 + "\t" took seconds,
 * freezing the whole server); they are kept here only as an oracle for short strings, to prove the
 * linear checks accept and refuse exactly what they did.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  isEmail,
  isNonBlankText,
  isPhone,
  isPrintableText,
  isWellFormed,
  updateFieldSchemas,
} from '../../src/solarproof/contract.js';
import { getCustomerTool } from '../../src/tools/get-customer.js';
import { updateCustomerTool } from '../../src/tools/update-customer.js';

const TEXT_FIELDS = [
  'firstname',
  'surname',
  'email',
  'phone1',
  'phone2',
  'companyname',
  'companyphone',
] as const;

/** The patterns the server published and ran before issue 7, verbatim. */
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const INVISIBLE = '\\s\\u200b-\\u200d\\u2060\\ufeff';
const NO_CONTROL = `[^${CONTROLS}]`;
const OLD = {
  nonBlank: new RegExp(`^${NO_CONTROL}*[^${INVISIBLE}${CONTROLS}]${NO_CONTROL}*$`),
  printable: new RegExp(`^${NO_CONTROL}*$`),
  phone: /^\+?[0-9 ().-]*[0-9][0-9 ().-]*$/,
  email: (() => {
    const unsafe = `\\s@"<>()\\[\\]\\\\,;:${CONTROLS}`;
    return new RegExp(`^[^${unsafe}]+@[^.${unsafe}]+(\\.[^.${unsafe}]+)+$`);
  })(),
};

/** Mean time of one call, in milliseconds, over enough runs to be measurable. */
function meanMs(fn: () => unknown, runs: number): number {
  for (let i = 0; i < Math.min(runs, 20); i++) fn();
  const started = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - started) / runs;
}

/** Fastest of a few timings: on a loaded machine the fastest run is the one least disturbed. */
function fastestMs(fn: () => unknown, runs = 9): number {
  let fastest = Number.POSITIVE_INFINITY;
  fn();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

describe('an over-long value is refused without being read', () => {
  // The worst near-misses for each old pattern, at the size of the largest stdin line.
  const size = 4 * 1024 * 1024;
  const worst: Record<(typeof TEXT_FIELDS)[number], string> = {
    firstname: `${'a'.repeat(size)}\t`,
    surname: ' '.repeat(size),
    email: `a@${'b.'.repeat(size / 2)}"`,
    phone1: `${'1'.repeat(size)}x`,
    phone2: `${'1'.repeat(size)}x`,
    companyname: `${'a'.repeat(size)}\t`,
    companyphone: `${' '.repeat(size)}x`,
  };

  it.each(TEXT_FIELDS)(
    '%s: a 4 MiB value is refused in microseconds, with only the length issue',
    (field) => {
      const schema = updateFieldSchemas[field];
      const value = worst[field];
      // One run first, bounded, so the old quadratic patterns fail here in seconds instead of hours.
      const small = value.slice(0, 20_000) + value.slice(-1);
      const started = performance.now();
      expect(schema.safeParse(small).success).toBe(false);
      expect(performance.now() - started).toBeLessThan(50);

      const result = schema.safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.code)).toEqual(['too_big']);
      // Generous: measured in single microseconds; a scan of 4 MiB takes milliseconds.
      expect(meanMs(() => schema.safeParse(value), 500)).toBeLessThan(0.2);
    },
  );
});

describe('every character rule is linear', () => {
  const n = 500_000;
  const cases: Array<[string, (value: string) => boolean, (size: number) => string]> = [
    ['isNonBlankText, a long name ending in a tab', isNonBlankText, (k) => `${'a'.repeat(k)}\t`],
    ['isNonBlankText, only invisible characters', isNonBlankText, (k) => ' \u200b'.repeat(k / 2)],
    ['isPrintableText, a control at the end', isPrintableText, (k) => `${'a'.repeat(k)}\u0085`],
    ['isPhone, digits then a letter', isPhone, (k) => `${'1'.repeat(k)}x`],
    ['isPhone, separators with no digit', isPhone, (k) => ' ().-'.repeat(k / 5)],
    ['isPhone, a late "+"', isPhone, (k) => `+${'1'.repeat(k)}+`],
    ['isEmail, no @', isEmail, (k) => 'a'.repeat(k)],
    ['isEmail, many labels then a bad character', isEmail, (k) => `a@${'b.'.repeat(k / 2)}b"`],
    ['isEmail, many dots', isEmail, (k) => `a@b${'.'.repeat(k)}`],
    ['isWellFormed, a lone surrogate at the end', isWellFormed, (k) => `${'a'.repeat(k)}\ud800`],
  ];

  it.each(cases)('%s: 8× the input takes about 8× the time, not 64×', (_label, rule, make) => {
    const small = make(n);
    const large = make(8 * n);
    expect(rule(large)).toBe(rule(small));
    const ratio =
      fastestMs(() => rule(large)) /
      Math.max(
        fastestMs(() => rule(small)),
        0.05,
      );
    // Linear is ~8; quadratic would be ~64. Generous for a loaded machine and cache effects.
    expect(ratio).toBeLessThan(24);
  });
});

describe('the linear checks accept and refuse exactly what the old patterns did', () => {
  // Short strings from the characters that matter to the rules, plus anything at all.
  const interesting = fc.constantFrom(
    ...'a Z9+()-.@"<>[]\\,;:\t\n\r\u0000\u001f\u007f\u0085\u009f\u00a0\u2028\u2029\u202a\u202e\u2066\u2069\u200b\u200d\u2060\ufeff\u3000é太'.split(
      '',
    ),
  );
  const short = fc.oneof(
    fc.string({ unit: interesting, maxLength: 24 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );

  it('names, company names, phones and emails', () => {
    fc.assert(
      fc.property(short, (value) => {
        expect(isNonBlankText(value), JSON.stringify(value)).toBe(OLD.nonBlank.test(value));
        expect(isPrintableText(value), JSON.stringify(value)).toBe(OLD.printable.test(value));
        expect(isPhone(value), JSON.stringify(value)).toBe(OLD.phone.test(value));
        expect(isEmail(value), JSON.stringify(value)).toBe(OLD.email.test(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('addresses shaped like emails, where the old pattern had the most to say', () => {
    const part = fc.string({ unit: fc.constantFrom(...'ab.@"\\ \t,'.split('')), maxLength: 8 });
    fc.assert(
      fc.property(part, part, part, (a, b, c) => {
        for (const value of [`${a}@${b}`, `${a}@${b}.${c}`, `${a}${b}@${c}`]) {
          expect(isEmail(value), JSON.stringify(value)).toBe(OLD.email.test(value));
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('the published input schemas', () => {
  it('carry types, lengths and descriptions, and no pattern', () => {
    for (const tool of [updateCustomerTool, getCustomerTool]) {
      const schema = JSON.stringify(z.toJSONSchema(tool.inputSchema, { target: 'draft-7', io: 'input' }));
      expect(schema).not.toContain('"pattern"');
      expect(schema).toContain('"maxLength"');
    }
  });
});
