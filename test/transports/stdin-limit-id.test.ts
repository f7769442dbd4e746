/**
 * The id of an oversized request (issue 7, item 4): read from either end of the dropped line,
 * top-level members only, never anything else of the line.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  ID_SCAN_BYTES,
  LineLimit,
  MAX_ID_BYTES,
  MAX_LINE_BYTES,
  requestIdOf,
  tooLargeResponse,
} from '../../src/transports/stdin-limit.js';

const b = (s: string) => Buffer.from(s, 'utf8');
/** The id of a line too long for either window to see its middle. */
const idOf = (head: string, tail: string) => requestIdOf(b(head), b(tail));
const NONE = '';

describe('requestIdOf: the head, read forwards', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"arguments":{"x":"', 5],
    [' \r\n{ "id" : -12 , "method":"tools/call","params":{', -12],
    ['{"jsonrpc":"2.0","id":"req-\\"7\\" ü","params":{', 'req-"7" ü'],
    ['{"method":"tools/call","params":{"arguments":{"id":1,"a":[1,{"b":"}"}]}},"id":"top","x":"', 'top'],
    ['{"jsonrpc":"2.0","id":0,', 0],
  ])('%s → %j', (head, id) => {
    expect(idOf(head, NONE)).toEqual(id);
  });

  it.each([
    // An "id" inside params is not the request's, and params does not end inside the window.
    ['{"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"id":9,"v":"'],
    // The id value itself is cut by the window.
    ['{"jsonrpc":"2.0","id":12'],
    ['{"jsonrpc":"2.0","id":"abc'],
    // Not ids as JSON-RPC (and the SDK) know them.
    ['{"id":null,"method":"x"'],
    ['{"id":1.5,"method":"x"'],
    ['{"id":1e3,"method":"x"'],
    ['{"id":true,"method":"x"'],
    ['{"id":{"a":1},"method":"x"'],
    [`{"id":${2 ** 60},"method":"x"`],
    ['{"id":007,"method":"x"'],
    [`{"id":"${'i'.repeat(MAX_ID_BYTES)}","method":"x"`],
    // Not a request object at all.
    ['[{"jsonrpc":"2.0","id":1,"method":"x"}'],
    ['xxxxxxxxxxxxxxxxxxx'],
    ['{"jsonrpc" "2.0","id":1'],
    ['{jsonrpc:"2.0","id":1,'],
  ])('%s → none', (head) => {
    expect(idOf(head, NONE)).toBeUndefined();
  });
});

describe('requestIdOf: the tail, read backwards', () => {
  it.each([
    // The SDK client's own order: method, params, jsonrpc, id.
    ['aaaa"}},"jsonrpc":"2.0","id":12}', 12],
    ['aaaa"}},"jsonrpc":"2.0","id":12}\r', 12],
    ['aaa"}}, "id" : "a\\"b\\\\" , "jsonrpc" : "2.0" }  ', 'a"b\\'],
    ['aaa"}},"id":7,"x":{"y":[1,"]{"]},"z":"q"}', 7],
  ])('%s → %j', (tail, id) => {
    expect(idOf(NONE, tail)).toEqual(id);
  });

  it.each([
    // The last members are params' own, nested: no top-level id in reach.
    ['aaaa","arguments":{"id":3}}}'],
    // An "id" inside a string value, escaped quotes and all, is not a member.
    ['aaaa","note":"pad,\\"id\\":4}"}'],
    // The window starts inside a run of backslashes before a quote: its escaping cannot be known.
    ['\\"id":5}'],
    ['"id":5}'],
    ['aaaa"}}}'],
    ['aaaa"},"id":12'],
    ['aaaa"},"id":12]'],
    ['aaaa"},"id":}'],
  ])('%s → none', (tail) => {
    expect(idOf(NONE, tail)).toBeUndefined();
  });

  it('prefers the head when both ends name an id', () => {
    expect(idOf('{"id":1,"params":{"a":"', 'x"},"id":2}')).toBe(1);
  });

  it('is linear: worst-case windows (deep nesting, runs of backslashes) take microseconds', () => {
    const deep = b(`{"params":${'['.repeat(ID_SCAN_BYTES)}`);
    const quotes = b(`${'\\"'.repeat(ID_SCAN_BYTES / 2)}"}`);
    const backslashes = b(`"${'\\'.repeat(ID_SCAN_BYTES - 3)}"}`);
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      expect(requestIdOf(deep, quotes)).toBeUndefined();
      expect(requestIdOf(deep, backslashes)).toBeUndefined();
    }
    // Two windows of 64 KiB, 20 times: a quadratic scan would take seconds.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('LineLimit reports the id of a dropped line', () => {
  async function drops(chunks: Buffer[], max: number) {
    const dropped: { bytes: number; id: unknown }[] = [];
    const out = await text(
      Readable.from(chunks).pipe(new LineLimit(max, (bytes, id) => dropped.push({ bytes, id }))),
    );
    return { out, dropped };
  }
  const chunked = (line: string, size: number) =>
    Array.from({ length: Math.ceil(line.length / size) }, (_, i) => b(line.slice(i * size, (i + 1) * size)));

  it('at the start, in the end, or none, however the line is chunked', async () => {
    const params = JSON.stringify({ arguments: { id: 99, v: 'v'.repeat(300) } });
    const lines = [
      `{"jsonrpc":"2.0","id":"first","method":"tools/call","params":${params}}\n`,
      `{"method":"tools/call","params":${params},"jsonrpc":"2.0","id":42}\n`,
      `{"jsonrpc":"2.0","method":"notifications/x","params":${params}}\n`,
      '{"ok":1}\n',
    ];
    for (const size of [1, 7, 64, 10_000]) {
      const { out, dropped } = await drops(chunked(lines.join(''), size), 100);
      expect(dropped.map((d) => d.id)).toEqual(['first', 42, undefined]);
      expect(out.endsWith('{"ok":1}\n')).toBe(true);
    }
  });

  it('does not look past ID_SCAN_BYTES from either end', async () => {
    const pad = 'p'.repeat(ID_SCAN_BYTES);
    const line = `{"a":"${pad}","id":1,"b":"${pad}"}\n`;
    const { dropped } = await drops(chunked(line, 65_536), 1_000);
    expect(dropped).toEqual([{ bytes: line.length - 1, id: undefined }]);
  });

  it('the answer names the size and the limit and carries nothing of the line', () => {
    const response = tooLargeResponse('req-1', 5_242_990);
    expect(response).toMatchObject({ jsonrpc: '2.0', id: 'req-1', error: { code: -32600 } });
    expect(response.error.message).toContain('5242990 bytes');
    expect(response.error.message).toContain(`${MAX_LINE_BYTES} bytes (4 MiB)`);
  });
});
