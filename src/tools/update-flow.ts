/**
 * One update, as update_customer and undo_update both make it: read the record, send only what
 * differs, refuse what the assistant did not expect and an email that is someone else's, record
 * the intent with the values before and after, send, read back, and when the answer never came,
 * find out from the record whether the update was applied. The decisions are pure functions
 * (solarproof/changes.ts); this is the order of the I/O around them.
 */
import * as z from 'zod';
import { ERROR_CATALOG, type ErrorCode, ToolError } from '../errors.js';
import { REDACTED, redactUrl } from '../redact.js';
import {
  type Applied,
  appliedFrom,
  type Change,
  changesFromCopy,
  customerLabel,
  describeChanges,
  diffUpdate,
  type Expectation,
  expectationMismatches,
  fieldsNotTaken,
  shownValue,
  type UpdatableValues,
  updateOf,
  valuesOf,
} from '../solarproof/changes.js';
import type { PreparedRequest } from '../solarproof/client.js';
import {
  type CustomerUpdate,
  fieldsIn,
  UPDATABLE_FIELDS,
  type UpdatableField,
} from '../solarproof/contract.js';
import type { Customer } from '../solarproof/customer.js';
import type { CallExtra, ToolContext, ToolSuccess } from './define.js';
import { READ_HINTS } from './hints.js';

/**
 * The most time a read-back may take after an update (to verify it, or to learn whether an
 * unanswered one was applied), and never more than SOLARPROOF_TIMEOUT_MS: the update itself has
 * already had the whole deadline, so this is a short extra.
 */
const READ_BACK_BUDGET_MS = 5_000;

/** Failures after which the update may have reached Solar Proof although no answer came. */
const UNCERTAIN: ReadonlySet<ErrorCode> = new Set(['TIMEOUT', 'NETWORK', 'CANCELLED']);

const fieldValue = z.union([z.string(), z.number()]).nullable();

export const customerRefSchema = z.strictObject({
  pkcustomerid: z.int(),
  firstname: z.string().nullable(),
  surname: z.string().nullable(),
  email: z.string().nullable(),
});
export type CustomerRef = z.output<typeof customerRefSchema>;

const changeSchema = z.strictObject({
  field: z.enum(UPDATABLE_FIELDS),
  from: fieldValue.describe('The value before; null when unknown.'),
  to: z.union([z.string(), z.number()]),
});

const appliedSchema = z.union([z.boolean(), z.literal('unknown')]);

/** The values of some updatable fields, by name. */
const valuesSchema = z.strictObject(
  Object.fromEntries(UPDATABLE_FIELDS.map((field) => [field, fieldValue.optional()])) as Record<
    UpdatableField,
    z.ZodOptional<typeof fieldValue>
  >,
);

/** What the results of update_customer and undo_update carry besides the common fields. */
export const updateResultFields = {
  customerId: z.int().optional().describe('The customer’s id.'),
  customer: customerRefSchema.optional().describe('Who, as the record was before the change.'),
  changed: z
    .boolean()
    .optional()
    .describe('false when the record already had every value: nothing was sent.'),
  changes: z
    .array(changeSchema)
    .optional()
    .describe('The fields sent (on a dry run, that would be sent), each from → to.'),
  unchanged: z
    .array(z.enum(UPDATABLE_FIELDS))
    .optional()
    .describe('Requested fields left out because the record already had the value.'),
  fieldsSent: z.array(z.enum(UPDATABLE_FIELDS)).optional().describe('The names of the fields in changes.'),
  verified: z
    .boolean()
    .optional()
    .describe('true when reading the record back after the update showed every value sent.'),
  copyAgeSeconds: z
    .int()
    .optional()
    .describe('Without a fresh read: the age of the copy that gave changes[].from.'),
  dryRun: z.boolean().optional().describe('true when this was a preview and nothing was sent.'),
  request: z
    .strictObject({
      method: z.string(),
      url: z.string().describe('With the API key redacted.'),
      body: z.json().describe('The JSON body, with the API key redacted.'),
    })
    .optional()
    .describe('On a dry run: the exact request that would be sent.'),
  requestId: z
    .string()
    .optional()
    .describe('Identifies this update in the audit log (list_updates, undo_update).'),
  undoOf: z.string().optional().describe('The requestId of the update this one undid.'),
  warnings: z
    .array(z.string())
    .optional()
    .describe('Things the user should know although the call succeeded.'),
  // Failures.
  applied: appliedSchema
    .optional()
    .describe('After TIMEOUT, NETWORK or CANCELLED: whether the record read back shows the update.'),
  current: valuesSchema
    .optional()
    .describe('On CONFLICT: the record’s current values of the fields concerned.'),
  conflicts: z
    .array(z.strictObject({ field: z.enum(UPDATABLE_FIELDS), expected: fieldValue, current: fieldValue }))
    .optional()
    .describe('On CONFLICT: each field that differs, the value expected (or written) and the value now.'),
  inUseBy: customerRefSchema.optional().describe('On EMAIL_IN_USE: the customer who has the email.'),
};

export interface UpdateRequest {
  customerId: number;
  fields: CustomerUpdate;
  dryRun: boolean;
  /** The values the assistant believes the record has. */
  expect?: Expectation | undefined;
  undoOf?: string;
  /** The record as the caller has just read it (undo_update reads before it decides). */
  current?: Customer;
}

/** What the update is based on: a fresh read, or (Solar Proof answering no lookup by id) a copy or nothing. */
type Basis =
  | { kind: 'read'; customer: UpdatableValues & Pick<Customer, 'pkcustomerid'> }
  | { kind: 'copy'; customer: UpdatableValues; ageSeconds: number }
  | { kind: 'none' };

interface Plan {
  basis: Basis;
  customer: CustomerRef;
  changes: Change[];
  unchanged: UpdatableField[];
  send: CustomerUpdate;
}

export type UpdateData = Record<string, unknown> & { message: string };

export async function runUpdate(
  request: UpdateRequest,
  context: ToolContext,
  extra: CallExtra,
): Promise<ToolSuccess<UpdateData>> {
  const { customerId, fields, dryRun, undoOf } = request;
  const client = context.client();
  const requestId = crypto.randomUUID();
  const started = performance.now();
  const base = {
    requestId,
    mode: context.mode,
    ...(context.keyId === undefined ? {} : { keyId: context.keyId }),
    customerId,
  };
  const expected = request.expect && fieldsIn(request.expect).length > 0 ? request.expect : undefined;
  let intent: Record<string, unknown> = {
    ...base,
    dryRun,
    fields,
    ...(expected ? { expect: expected } : {}),
    ...(undoOf ? { undoOf } : {}),
  };

  let plan: Plan | undefined;
  try {
    const basis: Basis = request.current
      ? { kind: 'read', customer: request.current }
      : await readBasis(context, customerId, extra.signal);
    plan = planUpdate(customerId, basis, fields);
    intent = { ...intent, ...auditedPlan(plan) };
    if (expected) checkExpectation(plan, expected);
    if (plan.send.email !== undefined)
      await checkEmailFree(context, plan.send.email, customerId, extra.signal);
  } catch (error) {
    const failure = describedFailure(error, plan);
    // Nothing was sent; the attempt is still recorded, but a log that fails now must not hide why.
    await recordRefusal(context, intent, base, failure, started);
    throw failure.with({ requestId });
  }

  // The record of intent is on disk before anything is sent; if it cannot be written, nothing is.
  try {
    await context.audit.append(
      { time: now(), event: 'update_requested', ...intent },
      { timeoutMs: context.config.timeoutMs, signal: extra.signal },
    );
  } catch (error) {
    // A slow disk may still land the record after the wait gave up: say how it ended, so no
    // "requested" record is left without its outcome. Best effort; nothing was sent either way.
    const failure = asToolError(error);
    // Not awaited: on a hung disk this would only wait as long again, behind the record it follows.
    void recordOutcome(context, {
      ...base,
      outcome: 'error',
      code: failure.code,
      message: failure.message,
      durationMs: elapsed(started),
    });
    throw failure.with({ requestId });
  }

  const label = customerLabel(customerId, plan.customer);
  const common = {
    customerId,
    customer: plan.customer,
    changes: plan.changes,
    unchanged: plan.unchanged,
    fieldsSent: fieldsIn(plan.send),
    requestId,
    ...(undoOf ? { undoOf } : {}),
    ...(plan.basis.kind === 'copy' ? { copyAgeSeconds: plan.basis.ageSeconds } : {}),
  };
  const basisWarnings = warningsOf(plan.basis);

  if (plan.changes.length === 0) {
    const warning = await recordOutcome(context, {
      ...base,
      outcome: 'no_change',
      durationMs: elapsed(started),
    });
    const already = plan.unchanged.map((field) => `${field} ${shownValue(request.fields[field] ?? null)}`);
    const message = `${label} already has ${already.join(', ')}; nothing was sent.`;
    return {
      summary: `No change for ${label}: it already has ${already.join(', ')}. Nothing was sent.`,
      data: {
        message,
        ...common,
        changed: false,
        ...(dryRun ? { dryRun: true } : {}),
        ...withWarnings(warning),
      },
    };
  }

  if (dryRun) {
    const warning = await recordOutcome(context, {
      ...base,
      outcome: 'dry_run',
      durationMs: elapsed(started),
    });
    return {
      summary: `Dry run for ${label}: would change ${describeChanges(plan.changes)}. Nothing was sent.`,
      data: {
        message: 'Dry run: the request was built and checked but not sent; nothing changed.',
        ...common,
        changed: true,
        dryRun: true,
        request: preview(client.prepareUpdateCustomer(customerId, plan.send)),
        ...withWarnings(...basisWarnings, warning),
      },
    };
  }

  const knownEmail = plan.send.email ?? plan.customer.email ?? undefined;
  try {
    const { value, attempts } = await client.updateCustomer(customerId, plan.send, { signal: extra.signal });
    // The next search must not show the values this update just replaced.
    context.customers.updated(customerId, plan.send);
    const check = await verify(context, customerId, plan.send, knownEmail, extra.signal);
    const warning = await recordOutcome(context, {
      ...base,
      outcome: 'success',
      message: value.message,
      attempts,
      verified: check.verified,
      ...(check.notTaken.length > 0 ? { notTaken: check.notTaken } : {}),
      durationMs: elapsed(started),
    });
    const unconfirmed =
      check.notTaken.length > 0 ? ` Read back, ${check.notTaken.join(', ')} did not take.` : '';
    return {
      summary: `${undoOf ? 'Undid the update: ' : 'Updated '}${label}: ${describeChanges(plan.changes)}.${unconfirmed}`,
      data: {
        message: value.message,
        ...common,
        changed: true,
        verified: check.verified,
        attempts,
        ...withWarnings(...basisWarnings, ...check.warnings, warning),
      },
    };
  } catch (error) {
    const failure = asToolError(error);
    if (failure.code === 'CUSTOMER_NOT_FOUND') context.customers.noSuchCustomer(customerId);
    let applied: Applied | undefined;
    let why = '';
    if (UNCERTAIN.has(failure.code)) {
      ({ applied, why } =
        failure.code === 'CANCELLED'
          ? { applied: 'unknown' as const, why: 'the call was cancelled, so the record was not read back' }
          : await resolveApplied(context, customerId, plan.send, knownEmail, extra.signal));
      if (applied === true) context.customers.updated(customerId, plan.send);
    }
    await recordOutcome(context, {
      ...base,
      outcome: 'error',
      code: failure.code,
      message: failure.message,
      httpStatus: failure.details.httpStatus,
      attempts: failure.details.attempts,
      applied,
      durationMs: elapsed(started),
    });
    const data = {
      customer: plan.customer,
      changes: plan.changes,
      ...(applied === undefined ? {} : { applied }),
    };
    throw applied === undefined
      ? failure.with({ data, requestId })
      : failure.with({
          data,
          requestId,
          hint: appliedHint(failure.code, applied, why),
          retryable: applied !== true,
        });
  }
}

/**
 * The record as it is now. When Solar Proof answers no lookup by id (the directory has learnt so),
 * the most recent copy this process read stands in for it, or nothing: an update must not be
 * blocked by a service that cannot read by id. Any other failure is the call's failure.
 */
async function readBasis(context: ToolContext, customerId: number, signal: AbortSignal): Promise<Basis> {
  try {
    return { kind: 'read', customer: await context.customers.byId(customerId, signal) };
  } catch (error) {
    if (
      !(error instanceof ToolError) ||
      error.code !== 'CUSTOMER_NOT_FOUND' ||
      context.customers.idLookups !== 'refused'
    ) {
      throw nothingChanged(error, customerId);
    }
    const copy = context.customers.recentCopy(customerId);
    return copy ? { kind: 'copy', customer: copy.customer, ageSeconds: copy.ageSeconds } : { kind: 'none' };
  }
}

/** A failed read before the update: the same error, with a hint that says nothing was sent. */
function nothingChanged(error: unknown, customerId: number): ToolError {
  const failure = asToolError(error);
  if (failure.code === 'CONFIGURATION' || failure.code === 'INTERNAL') return failure;
  const advice =
    failure.details.hint ??
    (failure.code === 'CUSTOMER_NOT_FOUND'
      ? ERROR_CATALOG.CUSTOMER_NOT_FOUND.hint
      : (READ_HINTS[failure.code] ?? ERROR_CATALOG[failure.code].hint));
  return failure.with({
    hint: `Nothing was sent and nothing changed: update_customer reads customer ${customerId} first, and that read failed. ${advice}`,
  });
}

function planUpdate(customerId: number, basis: Basis, fields: CustomerUpdate): Plan {
  const known = basis.kind === 'none' ? undefined : basis.customer;
  const customer: CustomerRef = {
    pkcustomerid: customerId,
    firstname: known?.firstname ?? null,
    surname: known?.surname ?? null,
    email: known?.email ?? null,
  };
  if (basis.kind === 'read') {
    const { changes, unchanged } = diffUpdate(basis.customer, fields);
    return { basis, customer, changes, unchanged, send: updateOf(changes) };
  }
  // A copy may be stale, so "unchanged" cannot be trusted: every requested field is sent.
  const changes = changesFromCopy(known, fields);
  return { basis, customer, changes, unchanged: [], send: updateOf(changes) };
}

/** What the audit record keeps of the plan: who, the values before (as read) and after (to send). */
function auditedPlan(plan: Plan): Record<string, unknown> {
  const changed = plan.changes.map((change) => change.field);
  const { pkcustomerid: _id, ...names } = plan.customer;
  const who = plan.basis.kind === 'none' ? {} : { customer: names };
  if (plan.basis.kind === 'read') {
    return { ...who, before: valuesOf(plan.basis.customer, changed), after: plan.send };
  }
  if (plan.basis.kind === 'copy') {
    return {
      ...who,
      copy: { values: valuesOf(plan.basis.customer, changed), ageSeconds: plan.basis.ageSeconds },
      after: plan.send,
    };
  }
  return { after: plan.send };
}

function checkExpectation(plan: Plan, expected: Expectation): void {
  const { basis, customer } = plan;
  const label = customerLabel(customer.pkcustomerid, customer);
  if (basis.kind === 'none') {
    throw new ToolError(
      'INVALID_ARGUMENTS',
      `expect cannot be checked for customer ${customer.pkcustomerid}: this Solar Proof service answers no lookup by id, and no copy of the record was read in this session. Nothing was sent.`,
      {
        issues: [{ path: 'expect', message: 'cannot be checked: the current record could not be read' }],
        hint: 'Look the customer up by email with get_customer (or find them with find_customers) first, then call update_customer again with expect; or, once the user has confirmed the customer, call without expect.',
        data: { customer },
      },
    );
  }
  const differ = expectationMismatches(basis.customer, expected);
  if (differ.length === 0) return;
  const asked = fieldsIn(expected);
  const source =
    basis.kind === 'copy'
      ? ` (a copy read ${basis.ageSeconds} s ago: Solar Proof answers no lookup by id)`
      : '';
  const details = differ
    .map(
      (field) =>
        `${field} is ${shownValue(basis.customer[field])}, not ${shownValue(expected[field] ?? null)}`,
    )
    .join('; ');
  throw new ToolError(
    'CONFLICT',
    `${label} does not have the values expected${source}: ${details}. Nothing was sent.`,
    {
      data: {
        customer,
        current: valuesOf(basis.customer, asked),
        conflicts: differ.map((field) => ({
          field,
          expected: expected[field] ?? null,
          current: basis.customer[field],
        })),
      },
    },
  );
}

/**
 * An email must be unique to one customer: the new address is looked up first. Not found means it
 * is free; this customer's own record means it is theirs already; anyone else's is EMAIL_IN_USE.
 * A lookup that fails any other way refuses the change: the check is what makes it safe.
 */
async function checkEmailFree(
  context: ToolContext,
  email: string,
  customerId: number,
  signal: AbortSignal,
): Promise<void> {
  let holder: Customer;
  try {
    holder = await context.customers.byEmail(email, signal);
  } catch (error) {
    if (error instanceof ToolError && error.code === 'CUSTOMER_NOT_FOUND') return;
    const failure = asToolError(error);
    throw failure.with(
      {
        hint: `Nothing was sent: an email is changed only once it is known to be free, and the lookup of the new address failed (${failure.code}). ${failure.retryable ? 'Calling again later is safe.' : 'Tell the user; they can check in Solar Proof who has this address.'}`,
      },
      `The email change was refused: Solar Proof could not be asked whether ${email} already belongs to another customer (${failure.message})`,
    );
  }
  if (holder.pkcustomerid === customerId) return;
  if (holder.pkcustomerid === null) {
    throw new ToolError(
      'UNEXPECTED_RESPONSE',
      `The email change was refused: Solar Proof has a customer with ${email}, but its answer gives no id, so it cannot be told whether it is this customer.`,
      {
        hint: 'Nothing was sent. Tell the user; they can check in Solar Proof who has this address before changing it.',
      },
    );
  }
  const inUseBy: CustomerRef = {
    pkcustomerid: holder.pkcustomerid,
    firstname: holder.firstname,
    surname: holder.surname,
    email: holder.email,
  };
  throw new ToolError(
    'EMAIL_IN_USE',
    `${email} already belongs to ${customerLabel(holder.pkcustomerid, holder)}; an email must be unique to one customer, so nothing was sent.`,
    { data: { inUseBy } },
  );
}

interface Verification {
  verified: boolean;
  notTaken: UpdatableField[];
  warnings: string[];
}

/** Reads the record back and compares every field sent. A read that fails never fails the update. */
async function verify(
  context: ToolContext,
  customerId: number,
  sent: CustomerUpdate,
  email: string | undefined,
  signal: AbortSignal,
): Promise<Verification> {
  let readBack: UpdatableValues;
  try {
    readBack = await readAfter(context, customerId, email, signal);
  } catch (error) {
    return {
      verified: false,
      notTaken: [],
      warnings: [
        `Solar Proof said the update was saved, but the record could not be read back to check it (${describeFailure(error)}): it is not verified.`,
      ],
    };
  }
  const notTaken = fieldsNotTaken(readBack, sent);
  if (notTaken.length === 0) return { verified: true, notTaken, warnings: [] };
  const details = notTaken
    .map((field) => `${field} is ${shownValue(readBack[field])}, not ${shownValue(sent[field] ?? null)}`)
    .join('; ');
  return {
    verified: false,
    notTaken,
    warnings: [
      `Solar Proof said it saved the update, but reading the record back shows ${details}: ${notTaken.length > 1 ? 'those fields' : 'that field'} did not take. Tell the user.`,
    ],
  };
}

/** After an update whose answer never came: whether the record now has the values sent. */
async function resolveApplied(
  context: ToolContext,
  customerId: number,
  sent: CustomerUpdate,
  email: string | undefined,
  signal: AbortSignal,
): Promise<{ applied: Applied; why: string }> {
  try {
    const readBack = await readAfter(context, customerId, email, signal);
    const applied = appliedFrom(readBack, sent);
    return {
      applied,
      why:
        applied === 'unknown'
          ? 'the record read back has some of the values sent, or values that are unknown'
          : '',
    };
  } catch (error) {
    return { applied: 'unknown', why: `the record could not be read back: ${describeFailure(error)}` };
  }
}

/**
 * The record read after an update, within READ_BACK_BUDGET_MS. By id, or, where Solar Proof
 * answers no lookup by id, by email when the email is known (and the answer must be this customer).
 */
async function readAfter(
  context: ToolContext,
  customerId: number,
  email: string | undefined,
  signal: AbortSignal,
): Promise<UpdatableValues> {
  const options = { timeoutMs: Math.min(READ_BACK_BUDGET_MS, context.config.timeoutMs) };
  if (context.customers.idLookups !== 'refused') return context.customers.byId(customerId, signal, options);
  if (email === undefined) {
    throw new Error('Solar Proof answers no lookup by id here, and the customer’s email is not known');
  }
  const found = await context.customers.byEmail(email, signal, options);
  if (found.pkcustomerid !== customerId) {
    throw new Error(`the lookup by email answered customer ${found.pkcustomerid ?? 'without an id'}`);
  }
  return found;
}

function appliedHint(code: ErrorCode, applied: Applied, why: string): string {
  const unanswered = `Solar Proof did not confirm the update (${code})`;
  if (applied === true) {
    return `${unanswered}, but the record read back has every value sent: the update was applied. Do not repeat it; tell the user it is done.`;
  }
  if (applied === false) {
    return `${unanswered}, and the record read back has none of the values sent: the update was not applied. Calling again with the same arguments is safe.`;
  }
  return `${unanswered}, and whether it was applied is unknown (${why}). The update is idempotent: calling again with the same arguments is safe, or check the record with get_customer first.`;
}

function warningsOf(basis: Basis): string[] {
  if (basis.kind === 'copy') {
    return [
      `Solar Proof answers no lookup by id here, so the current values could not be read: every requested field was sent, and "from" is from a copy read ${basis.ageSeconds} s ago, which may be out of date.`,
    ];
  }
  if (basis.kind === 'none') {
    return [
      'Solar Proof answers no lookup by id here and this session has read no copy of the customer, so the current values could not be checked: every requested field was sent, and "from" is null.',
    ];
  }
  return [];
}

/** The refusal, with who and what it concerned, for the result. */
function describedFailure(error: unknown, plan: Plan | undefined): ToolError {
  const failure = asToolError(error);
  if (!plan) return failure;
  return failure.with({ data: { customer: plan.customer, changes: plan.changes } });
}

/** Nothing was sent; both records are written, best effort, so the attempt shows in list_updates. */
async function recordRefusal(
  context: ToolContext,
  intent: Record<string, unknown>,
  base: Record<string, unknown>,
  failure: ToolError,
  started: number,
): Promise<void> {
  try {
    await context.audit.append(
      { time: now(), event: 'update_requested', ...intent },
      { timeoutMs: context.config.timeoutMs },
    );
  } catch (error) {
    context.logger.warn('audit record of a refused update lost', {
      requestId: base.requestId,
      error: describeFailure(error),
    });
    return;
  }
  await recordOutcome(context, {
    ...base,
    outcome: 'error',
    code: failure.code,
    message: failure.message,
    ...(failure.details.httpStatus === undefined ? {} : { httpStatus: failure.details.httpStatus }),
    ...(failure.details.attempts === undefined ? {} : { attempts: failure.details.attempts }),
    durationMs: elapsed(started),
  });
}

/**
 * The outcome record. Once the request has gone there is nothing to refuse, so a failed write is
 * reported (log and warning) rather than turning a done update into an error.
 */
async function recordOutcome(
  context: ToolContext,
  record: Record<string, unknown>,
): Promise<string | undefined> {
  try {
    // No abort signal: a cancelled call's outcome is still worth recording.
    await context.audit.append(
      { time: now(), event: 'update_completed', ...record },
      { timeoutMs: context.config.timeoutMs },
    );
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.logger.error('audit outcome record lost', { requestId: record.requestId, error: message });
    return `The outcome of this update could not be written to the audit log: ${message}`;
  }
}

function withWarnings(...warnings: Array<string | undefined>): { warnings?: string[] } {
  const given = warnings.filter((warning): warning is string => warning !== undefined);
  return given.length > 0 ? { warnings: given } : {};
}

function preview(prepared: PreparedRequest) {
  const body = prepared.body as { data: Record<string, unknown> };
  return {
    method: prepared.method,
    url: redactUrl(prepared.url),
    body: { data: { ...body.data, apikey: REDACTED } },
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof ToolError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function asToolError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  return new ToolError('INTERNAL', 'Unexpected internal error in the Solar Proof MCP server.', {
    cause: error,
  });
}

function now(): string {
  return new Date().toISOString();
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
