import { z } from 'zod';
import { updateFieldSchemas } from '../solarproof/contract.js';
import { customerOutputSchema } from '../solarproof/customer.js';
import { SolarProofError } from '../solarproof/errors.js';
import { defineTool, errorFields, resultFields } from './define.js';

const inputSchema = z.strictObject({
  email: updateFieldSchemas.email.describe('The customer’s email address, e.g. "john.smith@example.com".'),
});

const outputSchema = z.object({
  ...resultFields,
  customer: customerOutputSchema
    .optional()
    .describe('On success: the customer, in update_customer’s field names.'),
  ...errorFields,
});

export const getCustomerTool = defineTool({
  name: 'get_customer',
  title: 'Look up a Solar Proof customer by email',
  description: [
    'Finds one customer in Solar Proof (the solar installer’s CRM) by email address and returns the record, read-only.',
    'Fields use update_customer’s names (pkcustomerid, firstname, surname, email, phone1, phone2, type, companyname, companyphone, gststatus), so you can compare and then update without translating; it also gives status, owner, creation date, notes and a summary of projects.',
    'Use it to learn pkcustomerid when you only have an email, and to check current values before changing them.',
    'Values Solar Proof sent that could not be mapped are in unmapped, exactly as sent; a null field means unknown, not empty.',
  ].join(' '),
  inputSchema,
  outputSchema,
  annotations: {
    title: 'Look up a Solar Proof customer by email',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler({ email }, context, extra) {
    try {
      const { value: customer } = await context.client().getCustomerByEmail(email, { signal: extra.signal });
      const name = [customer.firstname, customer.surname].filter(Boolean).join(' ') || 'unnamed customer';
      const message = `Found customer ${customer.pkcustomerid ?? '(id not given)'}: ${name} <${customer.email ?? email}>.`;
      return { summary: message, data: { message, customer } };
    } catch (error) {
      if (error instanceof SolarProofError && error.code === 'CUSTOMER_NOT_FOUND') {
        throw new SolarProofError('CUSTOMER_NOT_FOUND', error.message, {
          ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
          hint: 'No customer has this email address in Solar Proof. Check the spelling with the user (the whole address must match); the customer may be recorded under another email. Do not guess an id.',
        });
      }
      throw error;
    }
  },
});
