/**
 * The audit log the source document asks integrators to keep: one JSON line per event, appended
 * to a file that only the user can read (it holds customer details).
 *
 * Guarantees: a record is one complete line, written by a single write() on a file opened with
 * O_APPEND, and fdatasync'ed before `append` resolves, so the "requested" record is on disk before
 * the request leaves. Appends are serialised through one writer; records that arrive while a sync
 * is under way are written together with the next write and share its sync (group commit), which
 * keeps concurrent calls fast without ever splitting a line.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redactor } from '../redact.js';
import { SolarProofError } from '../solarproof/errors.js';

export interface AuditSink {
  /** Where records go, for logs and the README; undefined when auditing is off. */
  readonly path: string | undefined;
  /** Resolves once the record is durably on disk; rejects with AUDIT_UNAVAILABLE otherwise. */
  append(record: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export const noAudit: AuditSink = {
  path: undefined,
  append: async () => {},
  close: async () => {},
};

interface Pending {
  line: string;
  resolve(): void;
  reject(error: unknown): void;
}

export class AuditLog implements AuditSink {
  readonly path: string;
  readonly #redact: Redactor;
  #handle: Promise<import('node:fs/promises').FileHandle> | undefined;
  #queue: Pending[] = [];
  #writing = false;

  constructor(path: string, redact: Redactor) {
    this.path = path;
    this.#redact = redact;
  }

  append(record: Record<string, unknown>): Promise<void> {
    // Redacted last, over the finished line: no field of any record can carry the key.
    const line = `${this.#redact(JSON.stringify(record))}\n`;
    return new Promise((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      try {
        const handle = await this.#open();
        const bytes = Buffer.from(batch.map((p) => p.line).join(''), 'utf8');
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
          offset += bytesWritten;
        }
        await handle.datasync();
        for (const pending of batch) pending.resolve();
      } catch (error) {
        // Reopen on the next record (the disk or directory may come back); report this batch now.
        const broken = this.#handle;
        this.#handle = undefined;
        broken?.then((handle) => handle.close()).catch(() => {});
        const failure = new SolarProofError(
          'AUDIT_UNAVAILABLE',
          `The audit log ${this.path} cannot be written (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
          { cause: error },
        );
        for (const pending of batch) pending.reject(failure);
      }
    }
    this.#writing = false;
  }

  #open() {
    this.#handle ??= (async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      return open(this.path, 'a', 0o600);
    })();
    return this.#handle;
  }
}
