/**
 * The audit log the source document asks integrators to keep: one JSON line per event, appended
 * to a file that only the user can read (it holds customer details).
 *
 * Guarantees: records are whole lines, written by one write() per batch on a file opened with
 * O_APPEND (so other processes appending to the same file cannot land inside a line), and
 * fdatasync'ed before `append` resolves, so the "requested" record is on disk before the request
 * leaves. Appends are serialised through one writer; records that arrive while a sync is under way
 * go out together in the next write and share its sync (group commit), which keeps concurrent calls
 * fast. A short write (a full disk) fails the whole batch, whose updates are then refused, and the
 * next batch starts on a fresh line, so a fragment never swallows a later record.
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ToolError } from '../errors.js';
import type { Redactor } from '../redact.js';

export interface AppendLimits {
  /** Give up (AUDIT_UNAVAILABLE) when the disk has not confirmed the record by then. */
  timeoutMs?: number;
  /** The tool call's abort signal: a cancelled call stops waiting (CANCELLED). */
  signal?: AbortSignal;
}

export interface AuditSink {
  /** The file the records go to, which list_updates and undo_update read back; none when auditing is off. */
  readonly path?: string | undefined;
  /** Resolves once the record is durably on disk; rejects with AUDIT_UNAVAILABLE otherwise. */
  append(record: Record<string, unknown>, limits?: AppendLimits): Promise<void>;
  close(): Promise<void>;
}

export const noAudit: AuditSink = {
  append: async () => {},
  close: async () => {},
};

interface Pending {
  line: string;
  resolve(): void;
  reject(error: unknown): void;
}

export class AuditLog implements AuditSink {
  readonly #path: string;
  readonly #redact: Redactor;
  #handle: Promise<FileHandle> | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  /** The file does not end with a newline (a torn fragment from a short write or an older crash). */
  #danglingLine = false;
  #closed = false;

  constructor(path: string, redact: Redactor) {
    this.#path = path;
    this.#redact = redact;
  }

  get path(): string {
    return this.#path;
  }

  append(record: Record<string, unknown>, limits: AppendLimits = {}): Promise<void> {
    if (this.#closed) return Promise.reject(this.#failure('closed'));
    // Redacted last, over the finished line: no field of any record can carry the key.
    const line = `${this.#redact(JSON.stringify(record))}\n`;
    const written = new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      this.#draining ??= this.#drain().finally(() => {
        this.#draining = undefined;
      });
    });
    return within(written, this.#path, limits);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
    const handle = this.#handle;
    this.#handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      try {
        const handle = await this.#open();
        const text = batch.map((pending) => pending.line).join('');
        const bytes = Buffer.from(this.#danglingLine ? `\n${text}` : text, 'utf8');
        const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
        if (bytesWritten < bytes.length) {
          if (bytesWritten > 0) this.#danglingLine = true;
          throw new Error(`short write: ${bytesWritten} of ${bytes.length} bytes (is the disk full?)`);
        }
        this.#danglingLine = false;
        await handle.datasync();
        for (const pending of batch) pending.resolve();
      } catch (error) {
        // Reopen on the next record (the disk or directory may come back); report this batch now.
        const broken = this.#handle;
        this.#handle = undefined;
        broken?.then((handle) => handle.close()).catch(() => {});
        const failure = this.#failure((error as NodeJS.ErrnoException).code ?? String(error), error);
        for (const pending of batch) pending.reject(failure);
      }
    }
  }

  #failure(reason: string, cause?: unknown): ToolError {
    return new ToolError('AUDIT_UNAVAILABLE', `The audit log ${this.#path} cannot be written (${reason}).`, {
      cause,
    });
  }

  #open(): Promise<FileHandle> {
    this.#handle ??= (async () => {
      const folder = dirname(this.#path);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const handle = await open(this.#path, 'a+', 0o600);
      const { size } = await handle.stat();
      if (size === 0) await syncFolder(folder);
      else {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        this.#danglingLine = last[0] !== 0x0a;
      }
      return handle;
    })();
    return this.#handle;
  }
}

/** Makes a new file's directory entry durable too (best effort: not every platform can). */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Windows cannot open a folder this way; the file's own sync still holds its contents.
  }
}

/** A disk that hangs (a dead network share) must not hold a tool call past its deadline. */
function within(written: Promise<void>, path: string, { timeoutMs, signal }: AppendLimits): Promise<void> {
  if (timeoutMs === undefined && signal === undefined) return written;
  return new Promise((resolve, reject) => {
    const cancelled = () =>
      reject(
        new ToolError(
          'CANCELLED',
          'The call was cancelled while its audit record was being written; nothing was sent to Solar Proof.',
        ),
      );
    if (signal?.aborted) return cancelled();
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              reject(
                new ToolError(
                  'AUDIT_UNAVAILABLE',
                  `The audit log ${path} did not confirm a write within ${timeoutMs} ms, so nothing was sent.`,
                ),
              ),
            timeoutMs,
          );
    signal?.addEventListener('abort', cancelled, { once: true });
    written.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancelled);
    });
  });
}
