/**
 * Reading the audit log back: the updates list_updates shows and undo_update puts back. Only the
 * tail of the file is read, backwards in chunks up to HISTORY_TAIL_BYTES, so a log of hundreds of
 * megabytes costs what a small one does. Lines that are not whole records of this server (torn by
 * a crash or a full disk, written by something else, or of another mode or key) are skipped.
 *
 * Parsing and joining are pure (parseAuditLine, joinUpdates); readUpdateHistory is the I/O.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isRecord } from '../solarproof/contract.js';

/** The most of the log's end that is read: thousands of updates, in a few tens of milliseconds. */
export const HISTORY_TAIL_BYTES = 4 * 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;

const loadBuiltin = createRequire(import.meta.url);

/**
 * A short fingerprint of the API key, stored in every record so history is scoped to the account
 * that wrote it. 48 bits of SHA-256: enough to tell keys apart, nothing to recover a key from.
 */
export function keyFingerprint(apiKey: string | undefined): string | undefined {
  if (apiKey === undefined) return undefined;
  // node:crypto is loaded here, when first needed, not with the module: start-up need not pay for it.
  const { createHash } = loadBuiltin('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 12);
}

export type Outcome = 'success' | 'error' | 'dry_run' | 'no_change';
export type Applied = true | false | 'unknown';
export type FieldValues = Record<string, string | number | null>;

/** Who the update was for, as the record was before it. */
export interface AuditedCustomer {
  firstname: string | null;
  surname: string | null;
  email: string | null;
}

export interface RequestedRecord {
  event: 'update_requested';
  time: string;
  requestId: string;
  mode: string;
  keyId?: string;
  customerId: number;
  dryRun: boolean;
  /** The values asked for. */
  fields: FieldValues;
  /** The values of the fields to be sent, as read just before (absent in older records). */
  before?: FieldValues;
  /** The values to be sent: the fields that differed from `before`. */
  after?: FieldValues;
  /** Without a fresh read: the most recent copy this process had, and its age. */
  copy?: { values: FieldValues; ageSeconds: number };
  customer?: AuditedCustomer;
  undoOf?: string;
}

export interface CompletedRecord {
  event: 'update_completed';
  time: string;
  requestId: string;
  mode: string;
  keyId?: string;
  customerId: number;
  outcome: Outcome;
  code?: string;
  message?: string;
  applied?: Applied;
  verified?: boolean;
}

export type AuditLine = RequestedRecord | CompletedRecord;

/** One update as the log tells it: its request, and its outcome when one was recorded. */
export interface AuditedUpdate {
  requested: RequestedRecord;
  /** Absent when the process ended (or is still running) between request and outcome. */
  completed?: CompletedRecord;
}

export interface HistoryScope {
  mode: string;
  keyId: string | undefined;
}

/**
 * Whether a record belongs to this mode and key. Records written before fingerprints existed carry
 * none; they are shown, but have no `before`, so they cannot be undone.
 */
function inScope(record: AuditLine, scope: HistoryScope): boolean {
  return record.mode === scope.mode && (record.keyId === undefined || record.keyId === scope.keyId);
}

/**
 * One line of the log as a record, or undefined for anything else. A line a crash tore and the next
 * record then continued (a writer that did not start it afresh) is read from its last record start.
 */
export function parseAuditLine(line: string): AuditLine | undefined {
  const whole = parseRecord(line);
  if (whole !== undefined) return whole;
  const start = line.lastIndexOf('{"time":');
  return start > 0 ? parseRecord(line.slice(start)) : undefined;
}

function parseRecord(text: string): AuditLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { event, time, requestId, mode, customerId, keyId } = value;
  if (typeof time !== 'string' || typeof requestId !== 'string' || typeof mode !== 'string') return undefined;
  if (typeof customerId !== 'number' || !Number.isSafeInteger(customerId)) return undefined;
  if (keyId !== undefined && typeof keyId !== 'string') return undefined;
  if (event === 'update_requested') {
    if (!isFieldValues(value.fields)) return undefined;
    if (value.before !== undefined && !isFieldValues(value.before)) return undefined;
    if (value.after !== undefined && !isFieldValues(value.after)) return undefined;
    return value as unknown as RequestedRecord;
  }
  if (event === 'update_completed') {
    return typeof value.outcome === 'string' ? (value as unknown as CompletedRecord) : undefined;
  }
  return undefined;
}

function isFieldValues(value: unknown): value is FieldValues {
  if (!isRecord(value)) return false;
  return Object.values(value).every((v) => v === null || typeof v === 'string' || typeof v === 'number');
}

export interface HistoryQuery {
  scope: HistoryScope;
  /** Only updates of this customer. */
  customerId?: number;
  /** Stop once this many updates are found (newest first). */
  limit?: number;
  /** Only this update (undo_update). */
  requestId?: string;
  /** Defaults to HISTORY_TAIL_BYTES. */
  maxBytes?: number;
}

export interface History {
  /** Newest first. */
  updates: AuditedUpdate[];
  /** Bytes of the file read. */
  bytesRead: number;
  /** true when the reading reached the start of the file: nothing older exists. */
  wholeLog: boolean;
  /** Lines that were not records of this server (torn, foreign); records out of scope are not counted. */
  skippedLines: number;
}

/** Folds lines read newest first into updates: a completed record waits for its request. */
class UpdateCollector {
  readonly #query: HistoryQuery;
  readonly #outcomes = new Map<string, CompletedRecord>();
  readonly updates: AuditedUpdate[] = [];
  skippedLines = 0;

  constructor(query: HistoryQuery) {
    this.#query = query;
  }

  get done(): boolean {
    if (this.#query.requestId !== undefined) return this.updates.length > 0;
    return this.updates.length >= (this.#query.limit ?? Number.POSITIVE_INFINITY);
  }

  /** One line, in newest-first order. */
  add(line: string): void {
    if (line.trim() === '') return;
    const record = parseAuditLine(line);
    if (!record) {
      this.skippedLines++;
      return;
    }
    const { scope, customerId, requestId } = this.#query;
    if (!inScope(record, scope)) return;
    if (customerId !== undefined && record.customerId !== customerId) return;
    if (requestId !== undefined && record.requestId !== requestId) return;
    if (record.event === 'update_completed') {
      // The first seen is the latest written; a second outcome for one id would be a foreign copy.
      if (!this.#outcomes.has(record.requestId)) this.#outcomes.set(record.requestId, record);
      return;
    }
    if (this.done) return;
    const completed = this.#outcomes.get(record.requestId);
    // The outcome must be of the same update: same customer.
    this.updates.push(
      completed && completed.customerId === record.customerId
        ? { requested: record, completed }
        : { requested: record },
    );
  }
}

/** The lines of a text, newest first: the pure counterpart of readUpdateHistory, for tests. */
export function joinUpdates(lines: readonly string[], query: HistoryQuery): AuditedUpdate[] {
  const collector = new UpdateCollector(query);
  for (let i = lines.length - 1; i >= 0 && !collector.done; i--) collector.add(lines[i] as string);
  return collector.updates;
}

/**
 * The updates at the end of the log at `path`, newest first, reading at most `maxBytes` from its
 * end. A missing file is an empty history.
 */
export async function readUpdateHistory(path: string, query: HistoryQuery): Promise<History> {
  const maxBytes = query.maxBytes ?? HISTORY_TAIL_BYTES;
  const collector = new UpdateCollector(query);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { updates: [], bytesRead: 0, wholeLog: true, skippedLines: 0 };
    }
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let position = size;
    let bytesRead = 0;
    // The start of the earliest line read so far, which may continue in the chunk before it.
    let carry: Buffer = Buffer.alloc(0);
    while (position > 0 && bytesRead < maxBytes && !collector.done) {
      const length = Math.min(CHUNK_BYTES, position, maxBytes - bytesRead);
      position -= length;
      const chunk = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead: n } = await handle.read(chunk, filled, length - filled, position + filled);
        if (n === 0) break;
        filled += n;
      }
      bytesRead += filled;
      const text = Buffer.concat([chunk.subarray(0, filled), carry]);
      // A newline byte never occurs inside a UTF-8 sequence, so lines split safely on bytes.
      let end = text.length;
      let newline = text.lastIndexOf(0x0a, end - 1);
      while (newline !== -1 && !collector.done) {
        collector.add(text.toString('utf8', newline + 1, end));
        end = newline;
        newline = end > 0 ? text.lastIndexOf(0x0a, end - 1) : -1;
      }
      carry = text.subarray(0, end);
    }
    const wholeLog = position === 0;
    // At the start of the file the carried bytes are its first line; anywhere else, part of one.
    if (wholeLog && !collector.done && carry.length > 0) collector.add(carry.toString('utf8'));
    return { updates: collector.updates, bytesRead, wholeLog, skippedLines: collector.skippedLines };
  } finally {
    await handle.close();
  }
}
