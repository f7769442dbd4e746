/**
 * The Solar Proof API contract as documented (shared/solarproof-api/updatecustomer.txt and
 * NOTES.md): endpoint, actions, field names and rules, and how responses are told apart.
 * Nothing here does I/O, so the rules can be read, reused by the sandbox and tested on their own.
 */
import * as z from 'zod';
import { cleanUpstreamText, type ErrorCode, isUpstreamErrorCode, SolarProofError } from './errors.js';

export const API_PATH = 'apidata.php';
export const ACTIONS = {
  updateCustomer: 'updatecustomer',
  getCustomerByEmail: 'getcustomerByemail',
  /** The older Get Customer form, by id (`customer_id`). */
  getCustomer: 'getcustomer',
  getAllCustomers: 'getallcustomers',
  getCustomerOfProject: 'getcustomerofproject',
} as const;

/** Customers a Get All Customers page holds, as documented. */
export const CUSTOMERS_PER_PAGE = 50;

/** Older pages' names for documented codes: the same failure, so the same code and hint. */
const OLDER_CODE_NAMES: ReadonlyMap<string, ErrorCode> = new Map([
  ['API_KEY_INVALID', 'INVALID_API_KEY'],
  ['UNAUTHORISED', 'PERMISSION_DENIED'],
  ['UNAUTHORIZED', 'PERMISSION_DENIED'],
]);

export const CUSTOMER_TYPES = ['RESIDENTIAL', 'COMMERCIAL', 'LARGE-SCALE'] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

/** The fields Update Customer can change, in the order the source document lists them. */
export const UPDATABLE_FIELDS = [
  'firstname',
  'surname',
  'email',
  'phone1',
  'phone2',
  'type',
  'companyname',
  'companyphone',
  'gststatus',
] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

// Patterns are plain ECMA-262 so the published JSON Schema means the same in every validator.
// Control characters never belong in a CRM field: C0 and C1 controls (newlines, tabs, NUL, NEL),
// the Unicode line and paragraph separators, and the bidirectional overrides that make text
// display differently from what it is.
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** Characters that show nothing: a name made only of these is blank. */
const INVISIBLE = '\\s\\u200b-\\u200d\\u2060\\ufeff';
const NO_CONTROL = `[^${CONTROLS}]`;
/** Any printable text with at least one visible character. */
const NON_BLANK_TEXT = new RegExp(`^${NO_CONTROL}*[^${INVISIBLE}${CONTROLS}]${NO_CONTROL}*$`);
const PRINTABLE_TEXT = new RegExp(`^${NO_CONTROL}*$`);
/** Digits with the separators Australian numbers are written with: "+61 412 345 678", "(02) 9876 5432". */
const PHONE = /^\+?[0-9 ().-]*[0-9][0-9 ().-]*$/;
const PHONE_OR_EMPTY = /^(\+?[0-9 ().-]*[0-9][0-9 ().-]*)?$/;
/** Deliberately simple: one @, a dot in the domain, none of the characters that break addresses or markup. */
const EMAIL_UNSAFE = `\\s@"<>()\\[\\]\\\\,;:${CONTROLS}`;
const EMAIL = new RegExp(`^[^${EMAIL_UNSAFE}]+@[^.${EMAIL_UNSAFE}]+(\\.[^.${EMAIL_UNSAFE}]+)+$`);

export const NAME_MAX = 100;
export const COMPANY_MAX = 150;
export const EMAIL_MAX = 254;
export const PHONE_MAX = 30;

/** A lone UTF-16 surrogate cannot travel in a URL or be stored as UTF-8: refuse it rather than let it turn into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (value: string) => !LONE_SURROGATE.test(value);
const brokenText = (what: string) => ({
  message: `${what} must be valid Unicode text (it contains a broken character)`,
});

const name = (what: string, example: string) =>
  z
    .string()
    .min(1)
    .max(NAME_MAX)
    .regex(NON_BLANK_TEXT, { message: `${what} must not be blank or contain control characters` })
    .refine(wellFormed, brokenText(what))
    .describe(
      `${what}. Must not be empty. Up to ${NAME_MAX} characters, sent exactly as given. Example: "${example}".`,
    );

const phone = (what: string, example: string, required: boolean) =>
  z
    .string()
    .max(PHONE_MAX)
    .regex(required ? PHONE : PHONE_OR_EMPTY, {
      message: `${what} may contain only digits, spaces, "+", "(", ")", "-" and "."${required ? ' and must not be empty' : ''}`,
    })
    .describe(
      `${what}. Digits with optional spaces, "+", "(", ")", "-" or "."; up to ${PHONE_MAX} characters.${
        required ? ' Must not be empty.' : ' An empty string asks Solar Proof to clear it.'
      } Example: "${example}".`,
    );

export const customerIdSchema = z
  .int()
  .min(1)
  .describe(
    'Solar Proof customer id (pkcustomerid): a positive whole number, e.g. 79461. Pass it as a number.',
  );

/** One zod schema per updatable field, shared by the tool's input and the sandbox's checks. */
export const updateFieldSchemas = {
  firstname: name('Customer’s first name', 'John'),
  surname: name('Customer’s last name (surname)', 'Smith'),
  email: z
    .string()
    .max(EMAIL_MAX)
    .regex(EMAIL, { message: 'email must be a valid address such as john.smith@example.com' })
    .refine(wellFormed, brokenText('email'))
    .meta({ format: 'email' })
    .describe(
      'Customer’s email address, e.g. "john.smith@example.com". Must be valid and should be unique: two customers with one email cause problems in Solar Proof, so confirm a changed email with the user.',
    ),
  phone1: phone('Primary phone number', '0412345678', true),
  phone2: phone('Secondary phone number', '0298765432', false),
  type: z
    .enum(CUSTOMER_TYPES)
    .describe(
      'Customer type: "RESIDENTIAL" (a home), "COMMERCIAL" (a business) or "LARGE-SCALE" (utility or farm scale).',
    ),
  companyname: z
    .string()
    .max(COMPANY_MAX)
    .regex(PRINTABLE_TEXT, { message: 'companyname must not contain control characters' })
    .refine(wellFormed, brokenText('companyname'))
    .describe(
      `Company name, for commercial customers. Up to ${COMPANY_MAX} characters; an empty string asks Solar Proof to clear it. Example: "Smith Solar Solutions".`,
    ),
  companyphone: phone('Company phone number', '1300123456', false),
  gststatus: z
    .int()
    .min(0)
    .max(1)
    .describe('GST registration status as a number: 1 = registered for GST, 0 = not registered.'),
} satisfies Record<UpdatableField, z.ZodType>;

export type CustomerUpdate = { [K in UpdatableField]?: z.output<(typeof updateFieldSchemas)[K]> };

/** The `data` object of an Update Customer request: the key and action repeated, then only the given fields. */
export function updateCustomerBody(apiKey: string, customerId: number, update: CustomerUpdate) {
  const data: Record<string, unknown> = {
    apikey: apiKey,
    action: ACTIONS.updateCustomer,
    pkcustomerid: customerId,
  };
  for (const field of UPDATABLE_FIELDS) {
    if (update[field] !== undefined) data[field] = update[field];
  }
  return { data };
}

export function fieldsIn(update: CustomerUpdate): UpdatableField[] {
  return UPDATABLE_FIELDS.filter((field) => update[field] !== undefined);
}

export interface UpdateCustomerSuccess {
  customerId: number | string;
  message: string;
}

/**
 * Solar Proof's documented error shape is `{code, message}` with a 4xx/5xx status, but nothing
 * confirms the status, so a body that carries `code` (or `success: false`) is an error whatever
 * the status, 200 included. Returns the error to raise, or undefined when the body is not one.
 */
export function upstreamError(status: number, body: unknown): SolarProofError | undefined {
  if (!isRecord(body)) return undefined;
  const rawCode = body.code ?? body.error_code ?? body.errorCode;
  const failed = body.success === false || body.status === 'error';
  if (rawCode === undefined && !failed) return undefined;

  const code = typeof rawCode === 'string' ? cleanUpstreamText(rawCode, 64) : undefined;
  const text = body.message ?? body.Message ?? body.error;
  const message =
    text === undefined || text === null || typeof text === 'object'
      ? `Solar Proof reported ${code ?? 'an error'} (HTTP ${status}).`
      : cleanUpstreamText(text);
  if (code && isUpstreamErrorCode(code)) return new SolarProofError(code, message, { httpStatus: status });
  const older = code === undefined ? undefined : OLDER_CODE_NAMES.get(code);
  if (older) return new SolarProofError(older, message, { httpStatus: status, upstreamCode: code });
  return new SolarProofError('UPSTREAM_ERROR', message, {
    httpStatus: status,
    ...(code ? { upstreamCode: code } : {}),
  });
}

/** Classifies a 2xx Update Customer body. The id comes back as a string ("79461"); an older page calls it `id`. */
export function parseUpdateCustomerSuccess(status: number, body: unknown): UpdateCustomerSuccess {
  const failure = upstreamError(status, body);
  if (failure) throw failure;
  if (isRecord(body)) {
    const rawId = body.CustomerId ?? body.customerId ?? body.id;
    const rawMessage = body.Message ?? body.message;
    if ((typeof rawId === 'string' || typeof rawId === 'number') && typeof rawMessage === 'string') {
      const text = String(rawId).trim();
      const customerId =
        /^[1-9][0-9]{0,15}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
      return { customerId, message: cleanUpstreamText(rawMessage) };
    }
  }
  throw new SolarProofError(
    'UNEXPECTED_RESPONSE',
    `Solar Proof answered HTTP ${status} without the documented Message and CustomerId fields.`,
    { httpStatus: status },
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
