/**
 * Reading the audit log back: what counts as a record, how requests and outcomes are joined and
 * scoped, and that only the tail of the file is read, however large it is.
 */
import { appendFileSync, closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HISTORY_TAIL_BYTES,
  joinUpdates,
  keyFingerprint,
  parseAuditLine,
  readUpdateHistory,
} from '../../src/audit/history.js';
import { tempDir } from '../helpers/audit.js';
import { SENTINEL_KEY } from '../helpers/harness.js';

const KEY = keyFingerprint(SENTINEL_KEY) as string;
const scope = { mode: 'live', keyId: KEY };

let counter = 0;
function update(
  customerId: number,
  options: { mode?: string; keyId?: string | null; outcome?: string; phone?: string } = {},
): string[] {
  const requestId = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
  const time = new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString();
  const mode = options.mode ?? 'live';
  const key = options.keyId === null ? {} : { keyId: options.keyId ?? KEY };
  const phone = options.phone ?? `0400 000 ${String(counter).padStart(3, '0')}`;
  const lines = [
    JSON.stringify({
      time,
      event: 'update_requested',
      requestId,
      mode,
      ...key,
      customerId,
      dryRun: false,
      fields: { phone1: phone },
      customer: { firstname: 'John', surname: 'Smith', email: 'john.smith@example.com' },
      before: { phone1: '0412345678' },
      after: { phone1: phone },
    }),
  ];
  if (options.outcome !== 'none') {
    lines.push(
      JSON.stringify({
        time,
        event: 'update_completed',
        requestId,
        mode,
        ...key,
        customerId,
        outcome: options.outcome ?? 'success',
        durationMs: 3,
      }),
    );
  }
  return lines;
}

describe('keyFingerprint', () => {
  it('is short, stable, hex, and differs between keys; no key, no fingerprint', () => {
    expect(KEY).toMatch(/^[0-9a-f]{12}$/);
    expect(keyFingerprint(SENTINEL_KEY)).toBe(KEY);
    expect(keyFingerprint('another key')).not.toBe(KEY);
    expect(keyFingerprint(undefined)).toBeUndefined();
    expect(SENTINEL_KEY).not.toContain(KEY);
  });
});

describe('parseAuditLine', () => {
  it('reads this server’s records, older ones without before included', () => {
    const [requested] = update(79461);
    expect(parseAuditLine(requested as string)).toMatchObject({
      event: 'update_requested',
      customerId: 79461,
    });
    const older =
      '{"time":"2026-11-26T19:34:43.521Z","event":"update_requested","requestId":"5fcf","mode":"live","customerId":79461,"dryRun":false,"fields":{"phone1":"0400 999 888"}}';
    expect(parseAuditLine(older)).toMatchObject({ fields: { phone1: '0400 999 888' } });
  });

  it.each([
    ['a torn line', '{"time":"2026-01-01T00:00:00.000Z","event":"update_requ'],
    ['not JSON', 'hello'],
    ['JSON, not an object', '[1,2,3]'],
    ['another event', '{"time":"t","event":"login","requestId":"r","mode":"live","customerId":1}'],
    [
      'no requestId',
      '{"time":"t","event":"update_completed","mode":"live","customerId":1,"outcome":"success"}',
    ],
    [
      'a string id',
      '{"time":"t","event":"update_completed","requestId":"r","mode":"live","customerId":"1","outcome":"success"}',
    ],
    [
      'fields not values',
      '{"time":"t","event":"update_requested","requestId":"r","mode":"live","customerId":1,"dryRun":false,"fields":{"a":{"b":1}}}',
    ],
  ])('skips %s', (_label, line) => {
    expect(parseAuditLine(line)).toBeUndefined();
  });

  it('a torn fragment continued by a whole record on the same line yields the record', () => {
    const [requested] = update(80125);
    expect(parseAuditLine(`{"time":"2026-01-01T00:00:00.000Z","ev${requested}`)).toMatchObject({
      customerId: 80125,
    });
  });
});

describe('joinUpdates', () => {
  it('newest first, each request with its outcome; an outcome never recorded is left out', () => {
    const first = update(79461);
    const second = update(80125, { outcome: 'none' });
    const third = update(79461, { outcome: 'error' });
    const updates = joinUpdates([...first, ...second, ...third], { scope });
    expect(updates.map((u) => [u.requested.customerId, u.completed?.outcome])).toEqual([
      [79461, 'error'],
      [80125, undefined],
      [79461, 'success'],
    ]);
  });

  it('interleaved concurrent updates are joined by requestId', () => {
    const [a1, a2] = update(79461);
    const [b1, b2] = update(80125, { outcome: 'error' });
    const updates = joinUpdates([a1, b1, b2, a2] as string[], { scope });
    expect(updates.map((u) => [u.requested.customerId, u.completed?.outcome])).toEqual([
      [80125, 'error'],
      [79461, 'success'],
    ]);
  });

  it('sees only its own mode and key (and older records, which carry no key); filters by customer; stops at the limit', () => {
    const lines = [
      ...update(79461, { keyId: null }),
      ...update(79461, { mode: 'sandbox' }),
      ...update(79461, { keyId: 'ffffffffffff' }),
      ...update(80125),
      ...update(79461),
      ...update(79461),
    ];
    const all = joinUpdates(lines, { scope });
    expect(all.map((u) => [u.requested.customerId, u.requested.keyId ?? 'none'])).toEqual([
      [79461, KEY],
      [79461, KEY],
      [80125, KEY],
      [79461, 'none'],
    ]);
    expect(joinUpdates(lines, { scope, customerId: 80125 })).toHaveLength(1);
    expect(joinUpdates(lines, { scope, limit: 2 })).toHaveLength(2);
    expect(joinUpdates(lines, { scope: { mode: 'sandbox', keyId: KEY } })).toHaveLength(1);
  });

  it('finds one update by requestId', () => {
    const lines = [...update(79461), ...update(80125), ...update(81307)];
    const id = JSON.parse(lines[2] as string).requestId;
    const found = joinUpdates(lines, { scope, requestId: id });
    expect(found).toHaveLength(1);
    expect(found[0]?.requested.customerId).toBe(80125);
    expect(found[0]?.completed?.outcome).toBe('success');
  });
});

describe('readUpdateHistory', () => {
  it('a missing file is an empty history', async () => {
    const history = await readUpdateHistory(join(tempDir(), 'none.jsonl'), { scope });
    expect(history).toEqual({ updates: [], bytesRead: 0, wholeLog: true, skippedLines: 0 });
  });

  it('skips torn and foreign lines anywhere, a last line without its newline included', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const good = [...update(79461), ...update(80125)];
    writeFileSync(
      path,
      [
        'garbage at the start',
        good[0],
        '{"time":"2026-01-01T00:00:00.000Z","event":"update_req', // torn by a crash
        good[1],
        '{"some":"other program"}',
        '\u0000\u0000\u0000',
        good[2],
        good[3],
        '{"time":"2026-01-01T00:00:00.000Z","event":"update_com', // torn, the file's end
      ].join('\n'),
    );
    const history = await readUpdateHistory(path, { scope });
    expect(history.updates.map((u) => [u.requested.customerId, u.completed?.outcome])).toEqual([
      [80125, 'success'],
      [79461, 'success'],
    ]);
    expect(history.skippedLines).toBe(5);
    expect(history.wholeLog).toBe(true);
  });

  it('lines cut across chunk boundaries are read whole (records of every length)', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 2_000; i++) lines.push(...update(79461, { phone: `04${'0'.repeat(i % 28)}` }));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const history = await readUpdateHistory(path, { scope, limit: 2_000 });
    expect(history.updates).toHaveLength(2_000);
    expect(history.skippedLines).toBe(0);
    expect(history.updates.every((u) => u.completed?.outcome === 'success')).toBe(true);
  });

  it('a log of 400 MB: only the tail is read, and the answer is the same as for its last records alone', async () => {
    const dir = tempDir();
    const big = join(dir, 'big.jsonl');
    // A sparse file: 400 MB of NUL bytes (one foreign "line") cost no disk, then real records.
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 400 * 1024 * 1024);
    closeSync(fd);
    const filler: string[] = [];
    for (let i = 0; i < 20_000; i++) filler.push(...update(82550, { keyId: 'ffffffffffff' }));
    const mine = [...update(79461), ...update(80125), ...update(79461)];
    appendFileSync(big, `\n${filler.join('\n')}\n${mine.join('\n')}\n`);
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, `${mine.join('\n')}\n`);

    const bigStarted = performance.now();
    const fromBig = await readUpdateHistory(big, { scope, limit: 50 });
    const bigMs = performance.now() - bigStarted;
    const fromSmall = await readUpdateHistory(small, { scope, limit: 50 });

    expect(fromBig.updates).toEqual(fromSmall.updates);
    expect(fromBig.updates).toHaveLength(3);
    // Bounded: it read the tail, not the 400 MB (and said so).
    expect(fromBig.bytesRead).toBe(HISTORY_TAIL_BYTES);
    expect(fromBig.wholeLog).toBe(false);
    expect(fromSmall.wholeLog).toBe(true);
    console.info(`400 MB log: read the last ${fromBig.bytesRead} bytes in ${Math.round(bigMs)} ms`);
  });

  it('stops reading as soon as the updates asked for are found', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) lines.push(...update(79461));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const history = await readUpdateHistory(path, { scope, limit: 5 });
    expect(history.updates).toHaveLength(5);
    expect(history.bytesRead).toBeLessThanOrEqual(256 * 1024);
  });
});
