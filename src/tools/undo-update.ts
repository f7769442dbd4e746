import * as z from 'zod';
import type { AuditedUpdate, FieldValues } from '../audit/history.js';
import { ToolError } from '../errors.js';
import { customerLabel, shownValue, valuesOf } from '../solarproof/changes.js';
import {
  type CustomerUpdate,
  UPDATABLE_FIELDS,
  type UpdatableField,
  updateFieldSchemas,
} from '../solarproof/contract.js';
import type { Customer } from '../solarproof/customer.js';
import { defineTool, errorFields, resultFields } from './define.js';
import { readHistory } from './list-updates.js';
import { runUpdate, updateResultFields } from './update-flow.js';

const inputSchema = z.strictObject({
  requestId: z
    .string()
    .min(1)
    .max(64)
    .describe('The requestId of the update to undo, from its result or list_updates.'),
  dryRun: z.boolean().optional().describe('true: return the request that would be sent, without sending it.'),
});

const outputSchema = z.strictObject({
  ...resultFields,
  ...updateResultFields,
  ...errorFields,
});

const FIND_HINT =
  'Call list_updates to find the requestId of the update to undo (it lists only updates of this mode and API key); or make the change with update_customer once the user has confirmed the old values.';

export const undoUpdateTool = defineTool({
  name: 'undo_update',
  title: 'Undo a Solar Proof update',
  description: [
    'Puts back the values an earlier update (update_customer or undo_update) replaced, by its requestId, only on request.',
    'It reads the record first: if any field changed since that update, nothing is sent (CONFLICT).',
    'The undo is itself audited and undoable.',
  ].join(' '),
  inputSchema,
  outputSchema,
  annotations: {
    title: 'Undo a Solar Proof update',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler(args, context, extra) {
    const path = context.audit.path;
    if (path === undefined) {
      throw new ToolError(
        'AUDIT_UNAVAILABLE',
        'The audit log is off (SOLARPROOF_AUDIT_LOG=off), so there is no record of the update to undo; nothing was sent.',
        {
          hint: 'Without the audit log the old values are not known. Tell the user; the change can be made by hand with update_customer once they have confirmed the old values.',
        },
      );
    }
    const history = await readHistory(context, path, { requestId: args.requestId });
    const update = history.updates[0];
    if (!update) {
      throw refused(
        `No update with requestId ${args.requestId} is recorded in this server's audit log in this mode with this API key${history.wholeLog ? '' : ` (in the last ${Math.round(history.bytesRead / 1024 / 1024)} MiB of it)`}; an update made by another instance of this server is in that instance's own log. Nothing was sent.`,
        FIND_HINT,
      );
    }
    const restore = restorable(update);
    const { customerId } = update.requested;

    let current: Customer;
    try {
      current = await context.customers.byId(customerId, extra.signal);
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      const advice = error.details.hint === undefined ? '' : ` ${error.details.hint}`;
      throw error.with({
        hint: `Nothing was sent: undo_update reads customer ${customerId} first, to check nothing changed since the update, and that read failed.${advice} Try again later, or tell the user.`,
      });
    }

    const fields = Object.keys(restore.written) as UpdatableField[];
    const now = valuesOf(current, fields);
    const undone = fields.every((field) => now[field] === restore.before[field]);
    const changedSince = fields.filter((field) => now[field] !== restore.written[field]);
    if (!undone && changedSince.length > 0) {
      const details = changedSince
        .map(
          (field) =>
            `${field} is now ${shownValue(now[field] ?? null)}, not ${shownValue(restore.written[field] ?? null)} as that update wrote`,
        )
        .join('; ');
      throw new ToolError(
        'CONFLICT',
        `${customerLabel(customerId, current)} changed since update ${args.requestId}: ${details}. Nothing was sent.`,
        {
          hint: 'Someone (or a later update) changed these fields after that update, so putting back the old values would overwrite the newer ones. Tell the user what the record holds now; change it with update_customer only once they confirm.',
          data: {
            customerId,
            customer: {
              pkcustomerid: customerId,
              firstname: current.firstname,
              surname: current.surname,
              email: current.email,
            },
            current: now,
            conflicts: changedSince.map((field) => ({
              field,
              expected: restore.written[field] ?? null,
              current: now[field] ?? null,
            })),
          },
        },
      );
    }
    // Already undone: the same call again changes nothing (the update flow says so, as no_change).
    const { summary, data } = await runUpdate(
      { customerId, fields: restore.before, dryRun: args.dryRun ?? false, undoOf: args.requestId, current },
      context,
      extra,
    );
    return { summary, data: { ...data, undoOf: args.requestId } };
  },
});

/** What the update wrote and what it replaced, or a clear refusal when it cannot be put back. */
function restorable(update: AuditedUpdate): { written: FieldValues; before: CustomerUpdate } {
  const { requested, completed } = update;
  const id = requested.requestId;
  if (requested.dryRun || completed?.outcome === 'dry_run') {
    throw refused(`Update ${id} was a dry run: nothing was sent, so there is nothing to undo.`, FIND_HINT);
  }
  if (completed?.outcome === 'no_change') {
    throw refused(
      `Update ${id} changed nothing (the record already had those values), so there is nothing to undo.`,
      FIND_HINT,
    );
  }
  if (completed?.outcome === 'error' && completed.applied !== true && completed.applied !== 'unknown') {
    throw refused(
      `Update ${id} failed (${completed.code ?? 'error'})${completed.applied === false ? ' and was read back as not applied' : ''}: it changed nothing, so there is nothing to undo.`,
      FIND_HINT,
    );
  }
  const { before, after } = requested;
  if (!before || !after || Object.keys(after).length === 0) {
    throw refused(
      `Update ${id} was recorded without the values it replaced (an older record, or one made while Solar Proof answered no lookup by id), so it cannot be undone here; nothing was sent.`,
      'Tell the user which values that update wrote (list_updates shows them); the old values can be put back by hand with update_customer once the user has confirmed them.',
    );
  }
  const restore: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(before)) {
    if (!(UPDATABLE_FIELDS as readonly string[]).includes(field) || !(field in after)) continue;
    const checked = updateFieldSchemas[field as UpdatableField].safeParse(value);
    if (!checked.success) {
      throw refused(
        `Update ${id} cannot be undone: the value ${field} had before (${shownValue(value as string | number | null)}) is one update_customer cannot send back${value === null ? ' (it was unknown)' : ''}; nothing was sent.`,
        'Tell the user what that update changed (list_updates shows it); they can set the old value in Solar Proof itself.',
      );
    }
    restore[field] = checked.data;
  }
  return { written: after, before: restore as CustomerUpdate };
}

function refused(message: string, hint: string): ToolError {
  return new ToolError('INVALID_ARGUMENTS', message, {
    issues: [{ path: 'requestId', message: 'names no update that can be undone' }],
    hint,
  });
}
