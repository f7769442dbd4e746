import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { LineLimit } from '../../src/transports/stdin-limit.js';

/** Pushes the chunks through a LineLimit of `max` bytes and returns what came out and what was dropped. */
async function limit(chunks: string[], max: number) {
  const dropped: number[] = [];
  const out = await text(
    Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new LineLimit(max, (n) => dropped.push(n))),
  );
  return { out, dropped };
}

describe('LineLimit', () => {
  it('passes lines within the limit through unchanged, however they are chunked', async () => {
    const { out, dropped } = await limit(['{"a":1}\n{"b"', ':2}\n', '{"c":3}\n'], 10);
    expect(out).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(dropped).toEqual([]);
  });

  it('cuts an oversized line short with a newline, drops the rest, and resumes at the next line', async () => {
    const { out, dropped } = await limit(['ok\nxxxxx', 'xxxxxxxx', 'xxxx\nnext\n'], 8);
    // The part already passed on ("xxxxx") is ended so the reader sees one malformed line, then "next".
    expect(out).toBe('ok\nxxxxx\nnext\n');
    expect(dropped).toEqual([17]);
  });

  it('handles an oversized line that starts and ends inside one chunk', async () => {
    const { out, dropped } = await limit(['a\n0123456789abc\nb\n'], 8);
    expect(out).toBe('a\n\nb\n');
    expect(dropped).toEqual([13]);
  });

  it('a line of exactly the limit is kept', async () => {
    const { out } = await limit(['12345678\n'], 8);
    expect(out).toBe('12345678\n');
  });
});
