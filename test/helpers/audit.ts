/** Helpers for the audit-log and sandbox tests: reading the JSON-lines audit file, temporary folders. */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AuditRecord {
  time: string;
  event: 'update_requested' | 'update_completed';
  requestId: string;
  mode: 'live' | 'sandbox';
  customerId: number;
  dryRun?: boolean;
  fields?: Record<string, unknown>;
  outcome?: 'success' | 'error' | 'dry_run' | 'no_change';
  keyId?: string;
  /** update_requested: the values of the fields to be sent, as read before, and as sent. */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  customer?: { firstname: string | null; surname: string | null; email: string | null };
  undoOf?: string;
  /** update_completed: the read-back, and the outcome of an unanswered update. */
  verified?: boolean;
  applied?: boolean | 'unknown';
  code?: string;
  message?: string;
  attempts?: number;
  httpStatus?: number;
  durationMs?: number;
  [key: string]: unknown;
}

/** The audit file's raw text, or '' when it does not exist (yet). */
export function readAuditText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/**
 * Every record in the audit file. Throws on a line that is not one complete JSON object, and on a
 * file that does not end with a newline (a torn final record).
 */
export function readAudit(path: string): AuditRecord[] {
  const text = readAuditText(path);
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`audit file does not end with a newline: ${text.slice(-200)}`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, index) => {
      try {
        const record = JSON.parse(line) as unknown;
        if (typeof record !== 'object' || record === null || Array.isArray(record))
          throw new Error('not an object');
        return record as AuditRecord;
      } catch (error) {
        throw new Error(`audit line ${index + 1} is not a JSON object (${String(error)}): ${line}`);
      }
    });
}

/** A fresh private temporary folder. */
export function tempDir(prefix = 'solarproof-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every file and folder under dir, relative to it (empty when nothing was created). */
export function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}
