import * as z from 'zod';
import { updateFieldSchemas } from '../solarproof/contract.js';
import { type Customer, customerOutputSchema } from '../solarproof/customer.js';
import { cleanUpstreamText } from '../solarproof/errors.js';
import { defineTool, errorFields, type Hints, resultFields } from './define.js';
import { READ_HINTS } from './hints.js';

type LookupKind = 'email' | 'pkcustomerid' | 'projectId';

/** Not found and refused mean different things by email, by id and by project. */
const LOOKUP_KIND_HINTS: Record<LookupKind, Hints> = {
  email: {
    CUSTOMER_NOT_FOUND:
      'No customer has this email address in Solar Proof. Check the spelling with the user (the whole address must match); the customer may be recorded under another email: find_customers searches by name, phone or part of an email. Do not guess an id.',
    INVALID_PARAMETERS:
      'Solar Proof rejected the lookup. Check the email address with the user and call again with the corrected address.',
  },
  pkcustomerid: {
    CUSTOMER_NOT_FOUND:
      'No customer has this id in Solar Proof. Check the id with the user, or find the customer with find_customers (name, phone or company) or get_customer by email. Do not guess another id.',
    INVALID_PARAMETERS:
      'Solar Proof rejected the lookup by id. Find the customer with get_customer by email or with find_customers instead.',
  },
  projectId: {
    CUSTOMER_NOT_FOUND:
      'Solar Proof found no customer for this project id. Check the project id with the user, or find the customer with find_customers (name, phone or company).',
    INVALID_PARAMETERS:
      'Solar Proof rejected the lookup by project. Check the project id with the user, or find the customer with find_customers instead.',
  },
};

const ONE_OF: readonly LookupKind[] = ['email', 'pkcustomerid', 'projectId'];

const inputSchema = z
  .strictObject({
    email: updateFieldSchemas.email
      .optional()
      .describe('The customer’s whole email address, e.g. "john.smith@example.com".'),
    pkcustomerid: z.int().min(1).optional().describe('The customer’s Solar Proof id, e.g. 79461.'),
    projectId: z
      .int()
      .min(1)
      .optional()
      .describe('A Solar Proof project id, e.g. 50211: gives the customer the project belongs to.'),
  })
  .superRefine((args, ctx) => {
    const given = ONE_OF.filter((key) => args[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `give exactly one of email, pkcustomerid or projectId${given.length ? ` (got ${given.join(' and ')})` : ''}`,
      });
    }
  });

const outputSchema = z.strictObject({
  ...resultFields,
  customer: customerOutputSchema
    .optional()
    .describe('On success: the customer, in update_customer’s field names.'),
  project: z
    .strictObject({
      projectId: z.int(),
      siteAddress: z.string().nullable().describe('As Solar Proof sent it, one line.'),
    })
    .optional()
    .describe('On a lookup by projectId: the project the customer was found through.'),
  ...errorFields,
});

export const getCustomerTool = defineTool({
  name: 'get_customer',
  title: 'Read a Solar Proof customer by email, id or project',
  description: [
    'Reads one whole customer record from Solar Proof (the solar installer’s CRM), read-only.',
    'Give exactly one of: email (the whole address), pkcustomerid, or projectId (gives the customer the project belongs to).',
    'With only a name, phone or company, find the customer with find_customers first.',
    'Fields use update_customer’s names (pkcustomerid, firstname, surname, email, phone1, phone2, type, companyname, companyphone, gststatus), so you can compare and then update without translating; by email or id it also gives status, owner, creation date, notes and projects.',
    'A null field means unknown, not empty; values that could not be mapped are in unmapped, as sent.',
  ].join(' '),
  inputSchema,
  outputSchema,
  annotations: {
    title: 'Read a Solar Proof customer by email, id or project',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  hints: (args) => ({ ...READ_HINTS, ...LOOKUP_KIND_HINTS[lookupKind(args)] }),
  async handler(args, context, extra) {
    if (args.projectId !== undefined) {
      const { customer, siteAddress } = await context.customers.ofProject(args.projectId, extra.signal);
      const message = `Found customer ${customer.pkcustomerid ?? '(id not given)'} for project ${args.projectId}: ${describe(customer)}.`;
      return {
        summary: message,
        data: { message, customer, project: { projectId: args.projectId, siteAddress } },
      };
    }
    const customer =
      args.pkcustomerid !== undefined
        ? await context.customers.byId(args.pkcustomerid, extra.signal)
        : await context.customers.byEmail(args.email as string, extra.signal);
    const message = `Found customer ${customer.pkcustomerid ?? '(id not given)'}: ${describe(customer, args.email)}.`;
    return { summary: message, data: { message, customer } };
  },
});

function lookupKind(args: { email?: string; pkcustomerid?: number }): LookupKind {
  return args.email !== undefined ? 'email' : args.pkcustomerid !== undefined ? 'pkcustomerid' : 'projectId';
}

/** Names come from upstream: one line, no control characters, bounded, before they reach the summary. */
function describe(customer: Customer, askedEmail?: string): string {
  const name = cleanUpstreamText([customer.firstname, customer.surname].filter(Boolean).join(' '), 120);
  const email = customer.email ?? askedEmail;
  const address = email ? ` <${cleanUpstreamText(email, 254)}>` : '';
  return `${name || 'unnamed customer'}${address}`;
}
