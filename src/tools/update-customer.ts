import { z } from 'zod';
import { customerIdSchema, fieldsIn, UPDATABLE_FIELDS, updateFieldSchemas } from '../solarproof/contract.js';
import { defineTool, errorFields, resultFields } from './define.js';

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

const outputSchema = z.object({
  ...resultFields,
  customerId: z.int().optional().describe('On success: the id of the customer Solar Proof updated.'),
  fieldsSent: z
    .array(z.enum(UPDATABLE_FIELDS))
    .optional()
    .describe(
      'On success: the fields sent to Solar Proof, and so changed; every other field kept its value.',
    ),
  ...errorFields,
});

export const updateCustomerTool = defineTool({
  name: 'update_customer',
  title: 'Update a Solar Proof customer',
  description: [
    'Changes fields of one existing customer record in Solar Proof (the solar installer’s CRM).',
    'Partial update: only the fields you pass are changed; every field you leave out keeps its current value, so pass only what should change.',
    'pkcustomerid (the customer’s numeric id) is required, plus at least one field to change.',
    'Email changes need care: the address must be valid and should be unique to this customer; confirm a new email with the user first.',
    'Values are stored exactly as given. Overwritten values cannot be recovered, so check the current record first when unsure.',
    'Safe to repeat: sending the same update twice leaves the record the same (idempotent), so retry after a TIMEOUT or NETWORK error.',
    'On failure the result has ok=false, a stable code and a hint saying what to do next.',
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
    const { pkcustomerid, ...update } = args;
    const fieldsSent = fieldsIn(update);
    const { value, attempts } = await context
      .client()
      .updateCustomer(pkcustomerid, update, { signal: extra.signal });
    const customerId = typeof value.customerId === 'number' ? value.customerId : pkcustomerid;
    return {
      summary: `Updated customer ${customerId}: ${fieldsSent.join(', ')}.`,
      data: { message: value.message, customerId, fieldsSent, attempts },
    };
  },
});
