import * as z from 'zod';
import {
  COMPANY_MAX,
  customerIdSchema,
  EMAIL_MAX,
  fieldsIn,
  NAME_MAX,
  PHONE_MAX,
  UPDATABLE_FIELDS,
  updateFieldSchemas,
} from '../solarproof/contract.js';
import { defineTool, errorFields, resultFields } from './define.js';
import { runUpdate, updateResultFields } from './update-flow.js';

/** Bounded, since expected values are recorded in the audit log and quoted in a CONFLICT. */
const expected = (max: number) =>
  z
    .string()
    .refine((value) => value.length <= max, { message: `at most ${max} characters` })
    .optional();

/**
 * What the assistant believes the record holds. Published with types alone: the comparison is
 * lenient (solarproof/changes.ts), so the update fields' rules and descriptions do not apply.
 */
const expectSchema = z
  .strictObject({
    firstname: expected(NAME_MAX),
    surname: expected(NAME_MAX),
    email: expected(EMAIL_MAX),
    phone1: expected(PHONE_MAX),
    phone2: expected(PHONE_MAX),
    type: expected(20),
    companyname: expected(COMPANY_MAX),
    companyphone: expected(PHONE_MAX),
    gststatus: z.int().min(0).max(1).optional(),
  })
  .describe(
    'What you believe the record has now, e.g. {"email": "john.smith@example.com"}; if any differs, nothing is sent (CONFLICT).',
  );

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
    expect: expectSchema.optional(),
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
  ...updateResultFields,
  ...errorFields,
});

export const updateCustomerTool = defineTool({
  name: 'update_customer',
  title: 'Update a Solar Proof customer',
  description: [
    'Changes fields of one customer (pkcustomerid) in Solar Proof (the solar installer’s CRM); only the fields you pass change.',
    'Find the customer first with get_customer or find_customers.',
    'It reads the record first, sends only values that differ, names the customer, lists each change from → to and reads it back to verify.',
    'Pass expect with what the user told you (email or name) to catch a wrong id.',
    'A new email must not be another customer’s (EMAIL_IN_USE). dryRun=true previews the exact request.',
    'Idempotent; audited (list_updates, undo_update).',
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
  handler(args, context, extra) {
    const { pkcustomerid, dryRun = false, expect, ...fields } = args;
    return runUpdate({ customerId: pkcustomerid, fields, dryRun, expect }, context, extra);
  },
});
