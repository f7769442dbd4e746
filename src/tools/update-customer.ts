import * as z from 'zod';
import { REDACTED, redactUrl } from '../redact.js';
import type { PreparedRequest } from '../solarproof/client.js';
import { customerIdSchema, fieldsIn, UPDATABLE_FIELDS, updateFieldSchemas } from '../solarproof/contract.js';
import { SolarProofError } from '../solarproof/errors.js';
import { defineTool, errorFields, resultFields, type ToolContext } from './define.js';

const inputSchema = z
  .strictObject({
    pkcustomerid: customerIdSchema,
    firstname: updateFieldSchemas.firstname.optional(),
    surname: updateFieldSchemas.surname.optional(),
    email: updateFieldSchemas.email.optional(),
    phone1: updateFieldSchemas.phone1.optional(),
    phone2: updateFieldSchemas.phone2.optional(),
    type: updateFieldSchemas.type.optional(),
    companyname: updateFieldSchemas.companyname.optional(),
    companyphone: updateFieldSchemas.companyphone.optional(),
    gststatus: updateFieldSchemas.gststatus.optional(),
    dryRun: z
      .boolean()
      .optional()
      .describe('true: return the request that would be sent, without sending it.'),
  })
  .superRefine((args, ctx) => {
    if (fieldsIn(args).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `nothing to change: give at least one of ${UPDATABLE_FIELDS.join(', ')} besides pkcustomerid`,
      });
    }
  });

const outputSchema = z.strictObject({
  ...resultFields,
  customerId: z.int().optional().describe('On success: the id of the customer Solar Proof updated.'),
  fieldsSent: z
    .array(z.enum(UPDATABLE_FIELDS))
    .optional()
    .describe(
      'On success: the fields sent to Solar Proof (on a dry run, the fields that would be sent); every other field keeps its value.',
    ),
  dryRun: z.boolean().optional().describe('true when this was a preview and nothing was sent.'),
  request: z
    .strictObject({
      method: z.string(),
      url: z.string().describe('With the API key redacted.'),
      body: z.json().describe('The JSON body, with the API key redacted.'),
    })
    .optional()
    .describe('On a dry run: the exact request that would be sent.'),
  requestId: z.string().optional().describe('Identifies this update in the audit log.'),
  warnings: z
    .array(z.string())
    .optional()
    .describe('Things the user should know although the call succeeded.'),
  ...errorFields,
});

export const updateCustomerTool = defineTool({
  name: 'update_customer',
  title: 'Update a Solar Proof customer',
  description: [
    'Changes fields of one existing customer in Solar Proof (the solar installer’s CRM).',
    'Only the fields you pass change; the rest keep their values. Needs pkcustomerid and at least one field.',
    'Find the customer first: get_customer (by email, id or project) or find_customers (by name, phone or company).',
    'Values are stored exactly as given and overwritten values cannot be recovered: when unsure, pass dryRun=true to preview the exact request.',
    'Idempotent: after a TIMEOUT or NETWORK error, repeating the same call is safe. Every update is recorded in a local audit log.',
  ].join(' '),
  inputSchema,
  outputSchema,
  annotations: {
    title: 'Update a Solar Proof customer',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler(args, context, extra) {
    const { pkcustomerid, dryRun = false, ...update } = args;
    const fieldsSent = fieldsIn(update);
    const client = context.client();
    const requestId = crypto.randomUUID();
    const started = performance.now();
    const base = { requestId, mode: context.mode, customerId: pkcustomerid };

    // The record of intent is on disk before anything is sent; if it cannot be written, nothing is.
    await context.audit.append(
      { time: now(), event: 'update_requested', ...base, dryRun, fields: update },
      { timeoutMs: context.config.timeoutMs, signal: extra.signal },
    );

    if (dryRun) {
      const request = preview(client.prepareUpdateCustomer(pkcustomerid, update));
      const warning = await recordOutcome(context, {
        ...base,
        outcome: 'dry_run',
        durationMs: elapsed(started),
      });
      return {
        summary: `Dry run for customer ${pkcustomerid}: would send ${fieldsSent.join(', ')}. Nothing was sent.`,
        data: {
          message: 'Dry run: the request was built and validated but not sent; nothing changed.',
          dryRun: true,
          customerId: pkcustomerid,
          fieldsSent,
          request,
          requestId,
          ...(warning ? { warnings: [warning] } : {}),
        },
      };
    }

    try {
      const { value, attempts } = await client.updateCustomer(pkcustomerid, update, { signal: extra.signal });
      const customerId = typeof value.customerId === 'number' ? value.customerId : pkcustomerid;
      // The next search must not show the values this update just replaced.
      context.customers.updated(pkcustomerid, update);
      const warning = await recordOutcome(context, {
        ...base,
        outcome: 'success',
        message: value.message,
        attempts,
        durationMs: elapsed(started),
      });
      return {
        summary: `Updated customer ${customerId}: ${fieldsSent.join(', ')}.`,
        data: {
          message: value.message,
          customerId,
          fieldsSent,
          attempts,
          requestId,
          ...(warning ? { warnings: [warning] } : {}),
        },
      };
    } catch (error) {
      const failure = error instanceof SolarProofError ? error : undefined;
      await recordOutcome(context, {
        ...base,
        outcome: 'error',
        code: failure?.code ?? 'INTERNAL',
        message: failure?.message ?? String(error),
        ...(failure?.httpStatus === undefined ? {} : { httpStatus: failure.httpStatus }),
        ...(failure?.attempts === undefined ? {} : { attempts: failure.attempts }),
        durationMs: elapsed(started),
      });
      if (failure) failure.requestId = requestId;
      throw error;
    }
  },
});

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

function preview(prepared: PreparedRequest) {
  const body = prepared.body as { data: Record<string, unknown> };
  return {
    method: prepared.method,
    url: redactUrl(prepared.url),
    body: { data: { ...body.data, apikey: REDACTED } },
  };
}

function now(): string {
  return new Date().toISOString();
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
