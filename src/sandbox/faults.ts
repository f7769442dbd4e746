/**
 * Faults a user can switch on in the sandbox (SOLARPROOF_SANDBOX_FAULTS), to watch in a real host
 * how the server copes with what a live Solar Proof may do: answer an update only after the
 * client gave up, refuse id lookups, accept a field without storing it, answer slowly.
 * Kept apart from the sandbox's HTTP server so the configuration can parse them without loading it.
 */
import { UPDATABLE_FIELDS, type UpdatableField } from '../solarproof/contract.js';

export type SandboxFault =
  /** Apply an update, then answer only after SLOW_UPDATE_DELAY_MS: the client times out though the change was made. */
  | { kind: 'slow-updates' }
  /** Both id forms (getcustomer, getcustomerByemail with an id) answer not-found. */
  | { kind: 'refuse-id-lookups' }
  /** Updates are accepted, but these fields are not stored. */
  | { kind: 'ignore-fields'; fields: readonly UpdatableField[] }
  /** Every answer is delayed by this much. */
  | { kind: 'latency'; ms: number };

export type SandboxFaultKind = SandboxFault['kind'];

const KINDS: readonly SandboxFaultKind[] = ['slow-updates', 'refuse-id-lookups', 'ignore-fields', 'latency'];

/** Twice the default SOLARPROOF_TIMEOUT_MS (a test holds it to that), so a default client gives up first. */
export const SLOW_UPDATE_DELAY_MS = 30_000;
const MAX_LATENCY_MS = 60_000;

const SANDBOX_FAULTS_VARIABLE = 'SOLARPROOF_SANDBOX_FAULTS';

/**
 * `slow-updates,ignore-fields=phone1+email,latency=200`: names separated by commas, spaces around
 * them ignored. Every item that cannot be read becomes a problem naming it; the others still apply.
 */
export function parseSandboxFaults(raw: string | undefined): {
  faults: SandboxFault[];
  problems: string[];
} {
  const faults: SandboxFault[] = [];
  const problems: string[] = [];
  for (const item of (raw ?? '').split(',')) {
    const text = item.trim();
    if (!text) continue;
    const fault = parseFault(text);
    if (typeof fault === 'string') problems.push(`${SANDBOX_FAULTS_VARIABLE}: ${fault}`);
    else if (faults.some((f) => f.kind === fault.kind))
      problems.push(`${SANDBOX_FAULTS_VARIABLE}: ${fault.kind} is given more than once.`);
    else faults.push(fault);
  }
  return { faults, problems };
}

function parseFault(text: string): SandboxFault | string {
  const equals = text.indexOf('=');
  const name = (equals < 0 ? text : text.slice(0, equals)).trim().toLowerCase();
  const value = equals < 0 ? undefined : text.slice(equals + 1).trim();
  switch (name) {
    case 'slow-updates':
    case 'refuse-id-lookups':
      return value === undefined ? { kind: name } : `${name} takes no value, not "${short(value)}".`;
    case 'ignore-fields': {
      const fields = (value ?? '').split('+').map((field) => field.trim());
      const unknown = fields.filter((field) => !(UPDATABLE_FIELDS as readonly string[]).includes(field));
      if (unknown.length > 0) {
        return `ignore-fields takes updatable fields joined by "+" (${UPDATABLE_FIELDS.join(', ')}), not "${short(value ?? '')}".`;
      }
      return { kind: 'ignore-fields', fields: [...new Set(fields as UpdatableField[])] };
    }
    case 'latency': {
      const ms = value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isInteger(ms) || ms > MAX_LATENCY_MS) {
        return `latency takes a whole number of milliseconds from 0 to ${MAX_LATENCY_MS}, not "${short(value ?? '')}".`;
      }
      return { kind: 'latency', ms };
    }
    default:
      return `unknown fault "${short(name)}"; the faults are ${KINDS.join(', ')}.`;
  }
}

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
