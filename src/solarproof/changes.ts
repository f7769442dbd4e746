/**
 * What an update changes, decided without I/O: which requested values differ from the record as
 * read (exactly, as Solar Proof stores them), whether the record holds what the assistant expected
 * (as a person would compare), and, read back afterwards, whether the values took.
 */
import { type CustomerUpdate, isSameEmail, UPDATABLE_FIELDS, type UpdatableField } from './contract.js';
import type { Customer } from './customer.js';
import { cleanUpstreamText } from './errors.js';
import { canonicalPhone } from './matching.js';

export type FieldValue = string | number | null;

/** The updatable fields of a record as read: null where Solar Proof's answer did not say. */
export type UpdatableValues = Pick<Customer, UpdatableField>;

/** What the assistant believes the record holds: any of the updatable fields, loosely typed. */
export type Expectation = Partial<Record<UpdatableField, string | number>>;

export interface Change {
  field: UpdatableField;
  /** The value as read before (null: unknown). */
  from: FieldValue;
  to: string | number;
}

export interface Diff {
  /** The fields to send, each with its value before. */
  changes: Change[];
  /** Requested fields that already had the requested value. */
  unchanged: UpdatableField[];
}

/**
 * The requested fields whose value differs from the record's, exactly: a phone with the same
 * digits spaced differently is a change, since the stored text changes; an unknown value (null)
 * differs from everything.
 */
export function diffUpdate(current: UpdatableValues, requested: CustomerUpdate): Diff {
  const changes: Change[] = [];
  const unchanged: UpdatableField[] = [];
  for (const field of UPDATABLE_FIELDS) {
    const to = requested[field];
    if (to === undefined) continue;
    if (current[field] === to) unchanged.push(field);
    else changes.push({ field, from: current[field], to });
  }
  return { changes, unchanged };
}

/** Every requested field as a change, `from` taken from a copy when there is one (or null). */
export function changesFromCopy(copy: UpdatableValues | undefined, requested: CustomerUpdate): Change[] {
  return UPDATABLE_FIELDS.flatMap((field) => {
    const to = requested[field];
    return to === undefined ? [] : [{ field, from: copy ? copy[field] : null, to }];
  });
}

/** The fields of the changes as an update to send. */
export function updateOf(changes: readonly Change[]): CustomerUpdate {
  return Object.fromEntries(changes.map(({ field, to }) => [field, to])) as CustomerUpdate;
}

/** Named values of some fields, for the audit record and CONFLICT's `current`. */
export function valuesOf(
  record: UpdatableValues,
  fields: readonly UpdatableField[],
): Record<string, FieldValue> {
  return Object.fromEntries(fields.map((field) => [field, record[field]]));
}

const PHONE_FIELDS = new Set<UpdatableField>(['phone1', 'phone2', 'companyphone']);

/**
 * Whether a value the assistant expects is what the record holds, compared as a person would:
 * emails ignoring case and surrounding spaces, phones by their digits with the Australian forms
 * made one (as find_customers matches them), everything else exactly. Unknown (null) never matches.
 */
export function sameAsExpected(
  field: UpdatableField,
  expected: string | number,
  actual: FieldValue,
): boolean {
  if (actual === null) return false;
  if (typeof expected === 'string' && typeof actual === 'string') {
    if (field === 'email') return isSameEmail(expected.trim(), actual);
    if (PHONE_FIELDS.has(field)) return canonicalPhone(expected) === canonicalPhone(actual);
  }
  return expected === actual;
}

/** The expected fields the record does not hold. */
export function expectationMismatches(current: UpdatableValues, expected: Expectation): UpdatableField[] {
  return UPDATABLE_FIELDS.filter((field) => {
    const value = expected[field];
    return value !== undefined && !sameAsExpected(field, value, current[field]);
  });
}

/** The sent fields a read-back shows without the value sent: they did not take. */
export function fieldsNotTaken(readBack: UpdatableValues, sent: CustomerUpdate): UpdatableField[] {
  return UPDATABLE_FIELDS.filter((field) => sent[field] !== undefined && readBack[field] !== sent[field]);
}

export type Applied = true | false | 'unknown';

/**
 * After an update whose answer never came: true when every sent field now has the value sent,
 * false when none has (and each is known), otherwise unknown.
 */
export function appliedFrom(readBack: UpdatableValues, sent: CustomerUpdate): Applied {
  const fields = UPDATABLE_FIELDS.filter((field) => sent[field] !== undefined);
  const taken = fields.filter((field) => readBack[field] === sent[field]).length;
  if (fields.length > 0 && taken === fields.length) return true;
  if (taken === 0 && fields.every((field) => readBack[field] !== null)) return false;
  return 'unknown';
}

/** "John Smith (79461)", or "customer 79461" when the name is not known. Upstream text made one short line. */
export function customerLabel(
  customerId: number,
  names: { firstname: string | null; surname: string | null } | undefined,
): string {
  const name = cleanUpstreamText([names?.firstname, names?.surname].filter(Boolean).join(' '), 120);
  return name ? `${name} (${customerId})` : `customer ${customerId}`;
}

/** A value as the summary shows it: "" for empty, "unknown" for null, long text cut. */
export function shownValue(value: FieldValue): string {
  if (value === null) return 'unknown';
  if (value === '') return '""';
  return cleanUpstreamText(String(value), 80);
}

/** "phone1 0412345678 → 0400 999 888; gststatus 0 → 1" */
export function describeChanges(changes: readonly Pick<Change, 'field' | 'from' | 'to'>[]): string {
  return changes.map(({ field, from, to }) => `${field} ${shownValue(from)} → ${shownValue(to)}`).join('; ');
}
