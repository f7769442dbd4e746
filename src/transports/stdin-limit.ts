import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCode, type JSONRPCErrorResponse, type RequestId } from '@modelcontextprotocol/sdk/types.js';

/** Far above any message this server's tools take, well below the SDK's 10 MiB read buffer. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * How much of each end of a dropped line is searched for its request id. Ids sit at either end in
 * practice (`{"jsonrpc":"2.0","id":5,"method":…` by hand, `…"params":{…},"jsonrpc":"2.0","id":5}`
 * from the SDK's own client), never inside params, which is what makes a line large.
 */
export const ID_SCAN_BYTES = 64 * 1024;

/** Longer ids are not answered: the reply echoes the id and nothing else of the line. */
export const MAX_ID_BYTES = 1024;

/**
 * Sits between stdin and the SDK's stdio transport. The SDK closes the whole transport when one
 * line outgrows its 10 MiB buffer, which would end the session over a single bad message. Here an
 * oversized line is dropped whole. When it has ended, `onDrop` gets its size and the request id
 * found at either end of it, if any, so the caller can answer that request instead of leaving the
 * client to time out.
 *
 * Lines are passed on whole, one chunk each: the SDK's read buffer copies and rescans everything it
 * holds for every chunk it gets, which is quadratic in the length of a line that arrives in pieces
 * (a 4 MiB line in 16 KiB pipe reads cost ~0.4 s); given whole, it scans each line once.
 */
export class LineLimit extends Transform {
  readonly #max: number;
  readonly #onDrop: (bytes: number, id: RequestId | undefined) => void;
  #lineBytes = 0;
  #dropping = false;
  /** The current line so far, held until its newline arrives (at most `max` bytes). */
  #pending: Buffer[] = [];
  // The current line's first and last ID_SCAN_BYTES, kept (as views of the chunks, not copies)
  // only while a line spans chunks: a line that starts and ends in one chunk needs none of it.
  #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;

  constructor(max: number, onDrop: (bytes: number, id: RequestId | undefined) => void) {
    super();
    this.#max = max;
    this.#onDrop = onDrop;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      const content = (newline === -1 ? end : newline) - start;
      if (this.#dropping) {
        this.#keep(chunk.subarray(start, start + content));
        this.#lineBytes += content;
        if (newline !== -1) this.#endDrop();
      } else if (this.#lineBytes + content > this.#max) {
        this.#pending = [];
        this.#keep(chunk.subarray(start, start + content));
        this.#lineBytes += content;
        if (newline === -1) this.#dropping = true;
        else this.#endDrop();
      } else if (newline === -1) {
        this.#pending.push(chunk.subarray(start, end));
        this.#keep(chunk.subarray(start, end));
        this.#lineBytes += content;
      } else {
        const line = chunk.subarray(start, end);
        out.push(this.#pending.length === 0 ? line : Buffer.concat([...this.#pending, line]));
        this.#pending = [];
        this.#resetLine();
      }
      start = end;
    }
    if (out.length === 0) done();
    else done(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  #keep(segment: Buffer): void {
    if (segment.length === 0) return;
    if (this.#headBytes < ID_SCAN_BYTES) {
      const part = segment.subarray(0, ID_SCAN_BYTES - this.#headBytes);
      this.#head.push(part);
      this.#headBytes += part.length;
    }
    this.#tail.push(segment);
    this.#tailBytes += segment.length;
    while (this.#tail.length > 1 && this.#tailBytes - (this.#tail[0] as Buffer).length >= ID_SCAN_BYTES) {
      this.#tailBytes -= (this.#tail.shift() as Buffer).length;
    }
  }

  #endDrop(): void {
    const tail = Buffer.concat(this.#tail);
    const id = requestIdOf(
      Buffer.concat(this.#head),
      tail.subarray(Math.max(0, tail.length - ID_SCAN_BYTES)),
    );
    const bytes = this.#lineBytes;
    this.#dropping = false;
    this.#resetLine();
    this.#onDrop(bytes, id);
  }

  #resetLine(): void {
    this.#lineBytes = 0;
    this.#head = [];
    this.#headBytes = 0;
    this.#tail = [];
    this.#tailBytes = 0;
  }
}

/** The JSON-RPC answer to a request whose line was too large to read. */
export function tooLargeResponse(id: RequestId, bytes: number, max = MAX_LINE_BYTES): JSONRPCErrorResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: ErrorCode.InvalidRequest,
      message: `Request too large: ${bytes} bytes in one message, and this server reads at most ${max} bytes (${formatMiB(max)}) per message, so the request was not read or run. Send smaller arguments.`,
      data: { bytes, limitBytes: max },
    },
  };
}

function formatMiB(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`;
}

/**
 * The id of the JSON-RPC request whose line starts with `head` and ends with `tail` (the two may be
 * cut anywhere). The head is read forwards, the tail backwards, member by member of the top-level
 * object, so an "id" inside params never counts; a member that does not fit in its window ends
 * the search at that end. Linear in the two windows. Only what JSON-RPC ids are here (a string, or
 * a safe integer, as the SDK reads them) is returned; anything else, or nothing, is undefined.
 */
export function requestIdOf(head: Buffer, tail: Buffer): RequestId | undefined {
  return idFromHead(head) ?? idFromTail(tail);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function isIdKey(text: Buffer, open: number, close: number): boolean {
  return close - open === 3 && text[open + 1] === 0x69 && text[open + 2] === 0x64; // "id"
}

function idFromHead(text: Buffer): RequestId | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== OPEN_BRACE) return undefined;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd === -1) return undefined;
    const isId = isIdKey(text, i, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (text[i] !== COLON) return undefined;
    i = skipSpace(text, i + 1);
    const valueEnd = valueEndAt(text, i);
    if (valueEnd === -1) return undefined;
    if (isId) return decodeId(text.subarray(i, valueEnd));
    i = skipSpace(text, valueEnd);
    if (text[i] !== COMMA) return undefined;
    i++;
  }
}

function idFromTail(text: Buffer): RequestId | undefined {
  let j = skipSpaceBack(text, text.length - 1);
  if (text[j] !== CLOSE_BRACE) return undefined;
  j--;
  for (;;) {
    j = skipSpaceBack(text, j);
    const valueStart = valueStartAt(text, j);
    if (valueStart === -1) return undefined;
    let k = skipSpaceBack(text, valueStart - 1);
    if (text[k] !== COLON) return undefined;
    k = skipSpaceBack(text, k - 1);
    if (text[k] !== QUOTE) return undefined;
    const keyStart = stringStart(text, k);
    if (keyStart === -1) return undefined;
    if (isIdKey(text, keyStart, k)) return decodeId(text.subarray(valueStart, j + 1));
    k = skipSpaceBack(text, keyStart - 1);
    if (text[k] !== COMMA) return undefined;
    j = k - 1;
  }
}

function skipSpace(text: Buffer, i: number): number {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

function skipSpaceBack(text: Buffer, j: number): number {
  while (j >= 0 && isSpace(text[j])) j--;
  return j;
}

/** Index just past the string that opens at `open`, or -1 when it does not close in `text`. */
function stringEnd(text: Buffer, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === BACKSLASH) i++;
    else if (text[i] === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * Index of the quote that opens the string closed by the quote at `close`, or -1 when it is not in
 * `text`. Reading backwards, a quote is escaped when an odd run of backslashes precedes it; a run
 * that reaches the start of the window cannot be counted, so the search gives up there.
 */
function stringStart(text: Buffer, close: number): number {
  for (let j = close - 1; j >= 0; j--) {
    if (text[j] !== QUOTE) continue;
    let run = 0;
    while (j - run - 1 >= 0 && text[j - run - 1] === BACKSLASH) run++;
    // What precedes the window could be one more backslash.
    if (j - run === 0) return -1;
    if (run % 2 === 0) return j;
    j -= run;
  }
  return -1;
}

/** Index just past the JSON value starting at `i`, or -1 when it does not end inside `text`. */
function valueEndAt(text: Buffer, i: number): number {
  const first = text[i];
  if (first === undefined) return -1;
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let p = i; p < text.length; p++) {
      const byte = text[p];
      if (byte === QUOTE) {
        p = stringEnd(text, p) - 1;
        if (p < 0) return -1;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return p + 1;
      }
    }
    return -1;
  }
  let p = i;
  while (p < text.length && !isScalarEnd(text[p])) p++;
  return p < text.length ? p : -1;
}

/** Index of the first byte of the JSON value ending at `j` (inclusive), or -1 when it starts before `text`. */
function valueStartAt(text: Buffer, j: number): number {
  const last = text[j];
  if (last === undefined) return -1;
  if (last === QUOTE) return stringStart(text, j);
  if (last === CLOSE_BRACE || last === CLOSE_BRACKET) {
    let depth = 0;
    for (let p = j; p >= 0; p--) {
      const byte = text[p];
      if (byte === QUOTE) {
        p = stringStart(text, p);
        if (p < 0) return -1;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth++;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        depth--;
        if (depth === 0) return p;
      }
    }
    return -1;
  }
  let p = j;
  while (p >= 0 && !isScalarStart(text[p])) p--;
  return p >= 0 ? p + 1 : -1;
}

function isScalarEnd(byte: number | undefined): boolean {
  return byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte);
}

function isScalarStart(byte: number | undefined): boolean {
  return byte === COLON || byte === COMMA || byte === OPEN_BRACE || byte === OPEN_BRACKET || isSpace(byte);
}

const INTEGER = /^-?(?:0|[1-9][0-9]{0,15})$/;

function decodeId(token: Buffer): RequestId | undefined {
  if (token.length === 0 || token.length > MAX_ID_BYTES) return undefined;
  const text = token.toString('utf8');
  if (token[0] === QUOTE) {
    try {
      const id = JSON.parse(text) as unknown;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  }
  if (!INTEGER.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : undefined;
}
