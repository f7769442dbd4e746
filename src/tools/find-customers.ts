import * as z from 'zod';
import { CUSTOMER_TYPES, isNonBlankText, isWellFormed } from '../solarproof/contract.js';
import { type ScanStop, searchIndex } from '../solarproof/customer-cache.js';
import type { ScanResult } from '../solarproof/customer-directory.js';
import { cleanUpstreamText } from '../solarproof/errors.js';
import {
  MATCH_FIELDS,
  MATCH_KINDS,
  MIN_PARTIAL_PHONE_DIGITS,
  parseQuery,
  rankMatches,
} from '../solarproof/matching.js';
import { defineTool, errorFields, type Hints, resultFields } from './define.js';
import { READ_HINTS } from './hints.js';

const QUERY_MAX = 200;
const LIMIT_MAX = 25;
const DEFAULT_LIMIT = 10;

/** A search reads many pages; where its advice differs from a single lookup's, it is here. */
const SEARCH_HINTS: Hints = {
  ...READ_HINTS,
  CANCELLED: 'The search was cancelled and stopped reading. It changes nothing; repeat it if still wanted.',
  PERMISSION_DENIED:
    'The Solar Proof user behind this API key may not list customers. Tell the user; an account administrator must grant access, or look the customer up by email with get_customer.',
  INVALID_PARAMETERS:
    'Solar Proof refused to list customers (Get All Customers). Look the customer up by email with get_customer instead, and tell the user.',
};

const inputSchema = z.strictObject({
  query: z
    .string()
    .min(1)
    // Past the length limit nothing else is checked, so an over-long query is refused unread.
    .max(QUERY_MAX, { abort: true })
    .refine(isNonBlankText, { message: 'query must not be blank or contain control characters' })
    .refine(isWellFormed, { message: 'query must be valid Unicode text (it contains a broken character)' })
    .describe(
      'A name or part of one ("smith john"), a phone number in any format ("+61 412 345 678"), a company name, an id, or an email or part of one.',
    ),
  limit: z
    .int()
    .min(1)
    .max(LIMIT_MAX)
    .optional()
    .describe(`Most customers to return, 1–${LIMIT_MAX}; default ${DEFAULT_LIMIT}.`),
});

const matchSchema = z.strictObject({
  pkcustomerid: z.int().nullable(),
  firstname: z.string().nullable(),
  surname: z.string().nullable(),
  email: z.string().nullable(),
  phone1: z.string().nullable(),
  phone2: z.string().nullable(),
  companyname: z.string().nullable(),
  companyphone: z.string().nullable(),
  type: z.enum(CUSTOMER_TYPES).nullable(),
  gststatus: z.union([z.literal(0), z.literal(1)]).nullable(),
  status: z.string().nullable(),
  match: z.enum(MATCH_KINDS).describe('exact (whole name, email, phone or id), prefix or fragment.'),
  matched: z.array(z.enum(MATCH_FIELDS)).describe('The fields the query was found in.'),
});

const SCAN_STOPS = ['end', 'page-cap', 'time-cap', 'page-error'] as const satisfies readonly ScanStop[];

const outputSchema = z.strictObject({
  ...resultFields,
  customers: z
    .array(matchSchema)
    .optional()
    .describe('On success: the best matches first, at most limit; get_customer gives the whole record.'),
  totalMatches: z.int().optional().describe('On success: how many customers matched in all.'),
  scan: z
    .strictObject({
      pages: z.int().describe('Get All Customers pages read.'),
      customers: z.int().describe('Customers searched.'),
      complete: z.boolean().describe('false when the list was not read to its end: matches may be missing.'),
      stoppedBy: z.enum(SCAN_STOPS).describe('end, page-cap, time-cap or page-error.'),
      cachedSeconds: z.int().describe('How old the list is: 0 when read for this call.'),
    })
    .optional()
    .describe('On success: what was searched.'),
  suggestion: z
    .string()
    .optional()
    .describe('On success, when there is no match, more than shown, or the scan is incomplete: what to try.'),
  ...errorFields,
});

export const findCustomersTool = defineTool({
  name: 'find_customers',
  title: 'Search Solar Proof customers',
  description: [
    'Searches every customer in Solar Proof (the solar installer’s CRM) by name, phone, company, id or email, read-only.',
    'Use it when you lack the exact email or id; then read the whole record with get_customer by pkcustomerid.',
    'Case, accents and spacing do not matter and every word must match; phones match in any format, or by their last 6 or more digits.',
    'Best first: exact, then prefix, then fragment; newest first among equals.',
    'It reads the whole customer list (a large account takes seconds) and keeps it a few minutes; scan.complete false means matches may be missing.',
  ].join(' '),
  inputSchema,
  outputSchema,
  annotations: {
    title: 'Search Solar Proof customers',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  hints: SEARCH_HINTS,
  async handler({ query, limit = DEFAULT_LIMIT }, context, extra) {
    const parsed = parseQuery(query);
    let sent = 0;
    let notifications = Promise.resolve();
    const { progress } = extra;
    const onPage = progress
      ? ({ pages, customers }: { pages: number; customers: number }) => {
          // The spec wants progress to grow with each notification; a page of repeats adds nothing.
          if (customers <= sent) return;
          sent = customers;
          notifications = notifications
            .then(() => progress(customers, undefined, `Read page ${pages}: ${customers} customers so far`))
            .catch((error: unknown) =>
              context.logger.debug('progress notification not sent', { error: String(error) }),
            );
        }
      : undefined;

    let scan: ScanResult;
    try {
      scan = await context.customers.scan(extra.signal, onPage);
    } finally {
      await notifications;
    }

    const { snapshot } = scan;
    const ranked = rankMatches(parsed, searchIndex(snapshot).candidates(parsed));
    const customers = ranked.slice(0, limit).map(({ item, match }) => {
      const { creationDate: _omitted, ...summary } = item.summary;
      return { ...summary, match: match.kind, matched: match.matched };
    });
    const quoted = JSON.stringify(cleanUpstreamText(query, 60));
    const searched = `${snapshot.customers.size} customers${scan.fromCache ? `, cached ${scan.cachedSeconds} s ago` : ` from ${snapshot.pages} pages`}`;
    const message =
      ranked.length === 0
        ? `No customer matches ${quoted} (searched ${searched}).`
        : `${ranked.length} customer${ranked.length === 1 ? ' matches' : 's match'} ${quoted}${ranked.length > limit ? `, best ${limit} shown` : ''} (searched ${searched}).`;
    const suggestion = suggest(scan, ranked.length, limit, parsed.kind);
    return {
      summary: message,
      data: {
        message,
        customers,
        totalMatches: ranked.length,
        scan: {
          pages: snapshot.pages,
          customers: snapshot.customers.size,
          complete: snapshot.complete,
          stoppedBy: snapshot.stop,
          cachedSeconds: scan.cachedSeconds,
        },
        ...(suggestion ? { suggestion } : {}),
      },
    };
  },
});

function suggest(scan: ScanResult, matches: number, limit: number, kind: string): string | undefined {
  const parts: string[] = [];
  const { pages, stop } = scan.snapshot;
  if (stop === 'page-cap') {
    parts.push(
      `Only the first ${pages} pages were read (SOLARPROOF_SCAN_MAX_PAGES), so matches further on may be missing: use get_customer with the email if you have it, or ask the user to raise SOLARPROOF_SCAN_MAX_PAGES.`,
    );
  } else if (stop === 'time-cap') {
    parts.push(
      `The search stopped at SOLARPROOF_SCAN_TIMEOUT_MS after ${pages} pages, so matches further on may be missing: call again (read-only, safe), and tell the user if Solar Proof stays this slow.`,
    );
  } else if (stop === 'page-error') {
    const failure = scan.failure;
    const reason = failure ? ` (${failure.code}: ${cleanUpstreamText(failure.message, 200)})` : '';
    parts.push(
      `Page ${pages + 1} failed${reason}, so only the ${pages} pages before it were searched and matches may be missing: call again (read-only, safe).`,
    );
  }
  if (matches === 0) {
    parts.push(
      kind === 'email'
        ? 'No email matched: try part of it, the name, or the phone number.'
        : `Try fewer words, another spelling, part of the name, or the phone number (at least ${MIN_PARTIAL_PHONE_DIGITS} digits).`,
    );
  } else if (matches > limit) {
    parts.push('More customers matched than shown: add a word or use the phone number to narrow it down.');
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}
