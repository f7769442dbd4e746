import * as z from 'zod';
import { updateFieldSchemas } from '../solarproof/contract.js';
import { customerOutputSchema } from '../solarproof/customer.js';
import { cleanUpstreamText, ERROR_CATALOG, type ErrorCode, SolarProofError } from '../solarproof/errors.js';
import { defineTool, errorFields, resultFields } from './define.js';

/** The catalog's hints speak of updates; a lookup changes nothing, so these codes get their own advice. */
const LOOKUP_HINTS: Partial<Record<ErrorCode, string>> = {
  CUSTOMER_NOT_FOUND:
    'No customer has this email address in Solar Proof. Check the spelling with the user (the whole address must match); the customer may be recorded under another email. Do not guess an id.',
  INVALID_PARAMETERS:
    'Solar Proof rejected the lookup. Check the email address with the user and call again with the corrected address.',
  PERMISSION_DENIED:
    'The Solar Proof user behind this API key may not see this customer. Tell the user; an account administrator must grant access.',
  UPDATE_FAILED:
    'Solar Proof reported a server error for the lookup. A lookup changes nothing, so calling again once later is safe; tell the user if it persists.',
  TIMEOUT:
    'Solar Proof did not answer in time. A lookup changes nothing, so calling again is safe; if it keeps timing out, tell the user Solar Proof seems slow or down.',
  CANCELLED:
    'The lookup was cancelled before Solar Proof answered. It changes nothing; repeat it if still wanted.',
  NETWORK:
    'Solar Proof could not be reached. A lookup changes nothing, so calling again later is safe; check the network or SOLARPROOF_BASE_URL if it persists.',
  UPSTREAM_UNAVAILABLE:
    'Solar Proof is temporarily unavailable. A lookup changes nothing: try again in a minute, and tell the user if it persists.',
  UPSTREAM_SERVER_ERROR:
    'Solar Proof had a server error. A lookup changes nothing, so calling again once later is safe; tell the user if it persists.',
  UNEXPECTED_RESPONSE:
    'Solar Proof answered the lookup in a shape this server does not recognise. Nothing was changed; tell the user, and do not update this customer on the strength of a guess.',
  RESPONSE_TOO_LARGE:
    'Solar Proof’s answer to the lookup was larger than this server accepts and was cut off. Nothing was changed; tell the user.',
};

const inputSchema = z.strictObject({
  email: updateFieldSchemas.email.describe('The customer’s email address, e.g. "john.smith@example.com".'),
});

const outputSchema = z.strictObject({
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
      // Names come from upstream: one line, no control characters, bounded, before they reach the summary.
      const name = cleanUpstreamText([customer.firstname, customer.surname].filter(Boolean).join(' '), 120);
      const address = cleanUpstreamText(customer.email ?? email, 254);
      const message = `Found customer ${customer.pkcustomerid ?? '(id not given)'}: ${name || 'unnamed customer'} <${address}>.`;
      return { summary: message, data: { message, customer } };
    } catch (error) {
      // Only the catalog's generic advice is replaced; a hint made for this very situation stays.
      if (!(error instanceof SolarProofError) || error.hint !== ERROR_CATALOG[error.code].hint) throw error;
      const hint = LOOKUP_HINTS[error.code];
      throw hint ? error.withHint(hint) : error;
    }
  },
});
