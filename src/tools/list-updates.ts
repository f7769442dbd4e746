import * as z from 'zod';
import {
  type AuditedUpdate,
  type FieldValues,
  HISTORY_TAIL_BYTES,
  type History,
  readUpdateHistory,
} from '../audit/history.js';
import { ToolError } from '../errors.js';
import { customerIdSchema, UPDATABLE_FIELDS, type UpdatableField } from '../solarproof/contract.js';
import { cleanUpstreamText } from '../solarproof/errors.js';
import { defineTool, errorFields, resultFields, type ToolContext } from './define.js';
import { customerRefSchema } from './update-flow.js';

const LIST_LIMIT_MAX = 50;
const LIST_DEFAULT_LIMIT = 10;

const OUTCOMES = ['success', 'error', 'dry_run', 'no_change', 'unknown'] as const;

const inputSchema = z.strictObject({
  pkcustomerid: customerIdSchema.optional().describe('Only this customer’s updates.'),
  limit: z
    .int()
    .min(1)
    .max(LIST_LIMIT_MAX)
    .optional()
    .describe(`Most updates to return, 1–${LIST_LIMIT_MAX}; default ${LIST_DEFAULT_LIMIT}.`),
});

const shownValue = z.union([z.string(), z.number()]).nullable();

const updateSchema = z.strictObject({
  requestId: z.string(),
  time: z.string().describe('When it was requested (ISO 8601, UTC).'),
  customer: customerRefSchema.describe('Who, as the record was before; names null when not known.'),
  changes: z
    .array(z.strictObject({ field: z.enum(UPDATABLE_FIELDS), from: shownValue, to: shownValue }))
    .describe('Each field sent (or, for a refused call, asked for), from → to; from null when unknown.'),
  outcome: z
    .enum(OUTCOMES)
    .describe('unknown: no outcome was recorded (the server stopped, or the call is still running).'),
  code: z.string().optional().describe('On error: the error code.'),
  applied: z.union([z.boolean(), z.literal('unknown')]).optional(),
  verified: z.boolean().optional(),
  undoOf: z.string().optional().describe('This update undid that one.'),
  undoable: z.boolean().describe('Whether undo_update can put back the values before it.'),
});

const outputSchema = z.strictObject({
  ...resultFields,
  updates: z.array(updateSchema).optional().describe('On success: newest first.'),
  searched: z
    .strictObject({
      bytes: z.int().describe('Bytes read from the end of the audit log.'),
      wholeLog: z.boolean().describe('false when older records exist beyond what was read.'),
      skippedLines: z.int().describe('Lines that were not whole records (torn, foreign) and were skipped.'),
    })
    .optional(),
  ...errorFields,
});

export const listUpdatesTool = defineTool({
  name: 'list_updates',
  title: 'List recent Solar Proof updates',
  description: [
    'The most recent updates made through this server (update_customer, undo_update), newest first, from its local audit log, read-only:',
    'requestId, time, customer, changes from → to, outcome. Optionally for one pkcustomerid.',
    'Use it to answer "what did you change?" and to find the requestId for undo_update.',
  ].join(' '),
  inputSchema,
  outputSchema,
  annotations: {
    title: 'List recent Solar Proof updates',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    // It reads only the local audit log, never Solar Proof.
    openWorldHint: false,
  },
  async handler(args, context) {
    const path = context.audit.path;
    if (path === undefined) {
      const message =
        'The audit log is off (SOLARPROOF_AUDIT_LOG=off), so no updates are recorded and there is no history to list.';
      return { summary: message, data: { message, updates: [] } };
    }
    const limit = args.limit ?? LIST_DEFAULT_LIMIT;
    const history = await readHistory(context, path, {
      limit,
      ...(args.pkcustomerid === undefined ? {} : { customerId: args.pkcustomerid }),
    });
    const updates = history.updates.map(listed);
    const whose = args.pkcustomerid === undefined ? '' : ` of customer ${args.pkcustomerid}`;
    const reach = history.wholeLog
      ? ''
      : ` (only the last ${Math.round(history.bytesRead / 1024 / 1024)} MiB of the audit log were read)`;
    const message =
      updates.length === 0
        ? `No updates${whose} are recorded in this mode with this API key${reach}.`
        : `The ${updates.length} most recent updates${whose}, newest first${reach}.`;
    return {
      summary: message,
      data: {
        message,
        updates,
        searched: {
          bytes: history.bytesRead,
          wholeLog: history.wholeLog,
          skippedLines: history.skippedLines,
        },
      },
    };
  },
});

/** The audit history of this mode and key; a log that cannot be read is AUDIT_UNAVAILABLE. */
export async function readHistory(
  context: ToolContext,
  path: string,
  query: { limit?: number; customerId?: number; requestId?: string },
): Promise<History> {
  try {
    return await readUpdateHistory(path, {
      scope: { mode: context.mode, keyId: context.keyId },
      maxBytes: HISTORY_TAIL_BYTES,
      ...query,
    });
  } catch (error) {
    throw new ToolError(
      'AUDIT_UNAVAILABLE',
      `The audit log ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
      {
        hint: 'The history of updates is in the audit log, which could not be read; nothing was sent to Solar Proof. Tell the user to check the file’s permissions or SOLARPROOF_AUDIT_LOG.',
        cause: error,
      },
    );
  }
}

/** Values from the log shown bounded: a foreign record could carry anything. */
function bounded(value: string | number | null | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? cleanUpstreamText(value, 300) : value;
}

function isUpdatable(field: string): field is UpdatableField {
  return (UPDATABLE_FIELDS as readonly string[]).includes(field);
}

/** The fields sent (or, for a call refused before sending, asked for), each from → to. */
function changesOf(update: AuditedUpdate): Array<{ field: UpdatableField; from: unknown; to: unknown }> {
  const { requested } = update;
  const to: FieldValues = requested.after ?? requested.fields;
  const from: FieldValues = requested.before ?? requested.copy?.values ?? {};
  return Object.keys(to)
    .filter(isUpdatable)
    .map((field) => ({ field, from: from[field] ?? null, to: to[field] ?? null }));
}

/**
 * Whether undo_update can reverse it: sent (a success, or an unanswered update that may have been
 * applied, or one whose outcome was never recorded), with the values before it as read.
 */
export function undoable(update: AuditedUpdate): boolean {
  const { requested, completed } = update;
  if (requested.dryRun || !requested.before || !requested.after) return false;
  if (Object.keys(requested.after).length === 0) return false;
  if (!completed) return true;
  if (completed.outcome === 'success') return true;
  return completed.outcome === 'error' && (completed.applied === true || completed.applied === 'unknown');
}

function listed(update: AuditedUpdate): z.input<typeof updateSchema> {
  const { requested, completed } = update;
  const names = requested.customer;
  return {
    requestId: cleanUpstreamText(requested.requestId, 64),
    time: cleanUpstreamText(requested.time, 40),
    customer: {
      pkcustomerid: requested.customerId,
      firstname: typeof names?.firstname === 'string' ? cleanUpstreamText(names.firstname, 120) : null,
      surname: typeof names?.surname === 'string' ? cleanUpstreamText(names.surname, 120) : null,
      email: typeof names?.email === 'string' ? cleanUpstreamText(names.email, 254) : null,
    },
    changes: changesOf(update).map(({ field, from, to }) => ({
      field,
      from: bounded(from as string | number | null),
      to: bounded(to as string | number | null),
    })),
    outcome:
      completed && (OUTCOMES as readonly string[]).includes(completed.outcome)
        ? completed.outcome
        : 'unknown',
    ...(typeof completed?.code === 'string' ? { code: cleanUpstreamText(completed.code, 64) } : {}),
    ...(completed?.applied === true || completed?.applied === false || completed?.applied === 'unknown'
      ? { applied: completed.applied }
      : {}),
    ...(typeof completed?.verified === 'boolean' ? { verified: completed.verified } : {}),
    ...(typeof requested.undoOf === 'string' ? { undoOf: cleanUpstreamText(requested.undoOf, 64) } : {}),
    undoable: undoable(update),
  };
}
