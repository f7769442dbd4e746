/**
 * What the Solar Proof wire can say about a failure: the error codes its pages document, and how
 * its untrusted text is made fit to show. What this server makes of them is in ../errors.ts.
 */
import type { ErrorCode } from '../errors.js';

/** The error codes Solar Proof itself documents for Update Customer. */
export const UPSTREAM_ERROR_CODES = [
  'INVALID_API_KEY',
  'INVALID_PARAMETERS',
  'CUSTOMER_NOT_FOUND',
  'PERMISSION_DENIED',
  'UPDATE_FAILED',
] as const satisfies readonly ErrorCode[];

/** Older pages' names for documented codes: the same failure, so the same code and hint. */
export const OLDER_CODE_NAMES: ReadonlyMap<string, ErrorCode> = new Map([
  ['API_KEY_INVALID', 'INVALID_API_KEY'],
  ['UNAUTHORISED', 'PERMISSION_DENIED'],
  ['UNAUTHORIZED', 'PERMISSION_DENIED'],
]);

export function isUpstreamErrorCode(code: string): code is (typeof UPSTREAM_ERROR_CODES)[number] {
  return (UPSTREAM_ERROR_CODES as readonly string[]).includes(code);
}

/** Upstream text is untrusted: one line, no control characters, and short enough for a reply. */
export function cleanUpstreamText(text: unknown, max = 500): string {
  const flat = String(text)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
