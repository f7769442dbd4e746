import { Transform, type TransformCallback } from 'node:stream';

/** Far above any message this server's tools take, well below the SDK's 10 MiB read buffer. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Sits between stdin and the SDK's stdio transport. The SDK closes the whole transport when one
 * line outgrows its 10 MiB buffer, which would end the session over a single bad message. Here an
 * oversized line is cut off: what was already passed on is ended with a newline (the SDK then
 * reports it as malformed JSON and reads on) and the rest of the line is dropped.
 */
export class LineLimit extends Transform {
  readonly #max: number;
  readonly #onDrop: (bytes: number) => void;
  #lineBytes = 0;
  #dropping = false;

  constructor(max: number, onDrop: (bytes: number) => void) {
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
        this.#lineBytes += content;
        if (newline !== -1) this.#endDrop();
      } else if (this.#lineBytes + content > this.#max) {
        out.push(Buffer.from('\n'));
        this.#lineBytes += content;
        if (newline === -1) this.#dropping = true;
        else this.#endDrop();
      } else {
        out.push(chunk.subarray(start, end));
        this.#lineBytes = newline === -1 ? this.#lineBytes + content : 0;
      }
      start = end;
    }
    done(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  #endDrop(): void {
    this.#onDrop(this.#lineBytes);
    this.#dropping = false;
    this.#lineBytes = 0;
  }
}
