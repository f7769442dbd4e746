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

  it('drops an oversized line whole, and resumes at the next line', async () => {
    const { out, dropped } = await limit(['ok\nxxxxx', 'xxxxxxxx', 'xxxx\nnext\n'], 8);
    expect(out).toBe('ok\nnext\n');
    expect(dropped).toEqual([17]);
  });

  it('handles an oversized line that starts and ends inside one chunk', async () => {
    const { out, dropped } = await limit(['a\n0123456789abc\nb\n'], 8);
    expect(out).toBe('a\nb\n');
    expect(dropped).toEqual([13]);
  });

  it('a line of exactly the limit is kept', async () => {
    const { out } = await limit(['12345678\n'], 8);
    expect(out).toBe('12345678\n');
  });

  it('passes a line that arrives in pieces on as one chunk, so the reader scans it once', async () => {
    const chunks: string[] = [];
    const limiter = new LineLimit(1024, () => {});
    limiter.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const done = new Promise((resolve) => limiter.on('end', resolve));
    for (const piece of ['{"a":', '1,"b":', '2}\n{"c"', ':3}\n']) limiter.write(Buffer.from(piece));
    limiter.end();
    await done;
    expect(chunks).toEqual(['{"a":1,"b":2}\n', '{"c":3}\n']);
  });
});
