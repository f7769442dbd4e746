/**
 * The Solar Proof API contract as documented (shared/solarproof-api/updatecustomer.txt and
 * NOTES.md): endpoint, actions, field names and rules, and how responses are told apart.
 * Nothing here does I/O, so the rules can be read, reused by the sandbox and tested on their own.
 */
import * as z from 'zod';
import { ToolError } from '../errors.js';
import { cleanUpstreamText, isUpstreamErrorCode, OLDER_CODE_NAMES } from './errors.js';

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

// Control characters never belong in a CRM field: C0 and C1 controls (newlines, tabs, NUL, NEL),
// the Unicode line and paragraph separators, and the bidirectional overrides that make text
// display differently from what it is.
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** Characters that show nothing: a name made only of these is blank. */
const INVISIBLE = '\\s\\u200b-\\u200d\\u2060\\ufeff';

// Every rule is a search for one character from a class, or a few indexOf calls: each reads the
// value once. An anchored pattern with two repetitions over overlapping classes (the obvious way to
// say "no controls, at least one visible character") backtracks quadratically on a long near-miss,
// and one such value froze the whole server. The rules run only once the length check has passed
// (`abort: true` on it), so an over-long value is refused without being read; being functions,
// they also keep long patterns out of the JSON Schema a model reads.
const CONTROL = new RegExp(`[${CONTROLS}]`);
const VISIBLE = new RegExp(`[^${INVISIBLE}${CONTROLS}]`);
/** Anything but digits and the separators Australian numbers are written with: "+61 412 345 678", "(02) 9876 5432". */
const NOT_PHONE = /[^0-9 ().+-]/;
const DIGIT = /[0-9]/;
/** Deliberately simple: one @, a dot in the domain, none of the characters that break addresses or markup. */
const EMAIL_UNSAFE = new RegExp(`[\\s"<>()\\[\\]\\\\,;:${CONTROLS}]`);
/** A lone UTF-16 surrogate cannot travel in a URL or be stored as UTF-8: refuse it rather than let it turn into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

/** No control characters, and at least one character that shows. */
export function isNonBlankText(value: string): boolean {
  return !CONTROL.test(value) && VISIBLE.test(value);
}

export function isPrintableText(value: string): boolean {
  return !CONTROL.test(value);
}

/** At least one digit; otherwise only digits, spaces, "(", ")", "-", "." and one leading "+". */
export function isPhone(value: string): boolean {
  return !NOT_PHONE.test(value) && value.lastIndexOf('+') <= 0 && DIGIT.test(value);
}

/** local@domain: one @, a non-empty local part, two or more non-empty dot-separated domain labels. */
export function isEmail(value: string): boolean {
  const at = value.indexOf('@');
  if (at < 1 || value.indexOf('@', at + 1) !== -1 || EMAIL_UNSAFE.test(value)) return false;
  const domain = value.slice(at + 1);
  return domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.') && !domain.includes('..');
}

export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

export const NAME_MAX = 100;
export const COMPANY_MAX = 150;
export const EMAIL_MAX = 254;
export const PHONE_MAX = 30;

/** Past the length limit nothing else is checked: the value is refused without being read. */
const tooLong = { abort: true } as const;
const brokenText = (what: string) => ({
  message: `${what} must be valid Unicode text (it contains a broken character)`,
});

const name = (what: string, example: string) =>
  z
    .string()
    .min(1)
    .max(NAME_MAX, tooLong)
    .refine(isNonBlankText, { message: `${what} must not be blank or contain control characters` })
    .refine(isWellFormed, brokenText(what))
    .describe(`${what}, e.g. "${example}".`);

const phone = (what: string, example: string, required: boolean) =>
  z
    .string()
    .max(PHONE_MAX, tooLong)
    .refine((value) => isPhone(value) || (!required && value === ''), {
      message: `${what} may contain only digits, spaces, "+", "(", ")", "-" and "."${required ? ' and must not be empty' : ''}`,
    })
    .describe(
      `${what}: digits with optional spaces, "+", "(", ")", "-" or ".", e.g. "${example}".${required ? '' : ' "" clears it.'}`,
    );

export const customerIdSchema = z
  .int()
  .min(1)
  .describe('The customer’s Solar Proof id, a number, e.g. 79461.');

/** One zod schema per updatable field, shared by the tool's input and the sandbox's checks. */
export const updateFieldSchemas = {
  firstname: name('First name', 'John'),
  surname: name('Last name (surname)', 'Smith'),
  email: z
    .string()
    .max(EMAIL_MAX, tooLong)
    .refine(isEmail, { message: 'email must be a valid address such as john.smith@example.com' })
    .refine(isWellFormed, brokenText('email'))
    .meta({ format: 'email' })
    .describe(
      'Email address, e.g. "john.smith@example.com". Must be unique to this customer: confirm a new one with the user.',
    ),
  phone1: phone('Primary phone', '0412345678', true),
  phone2: phone('Secondary phone', '0298765432', false),
  type: z
    .enum(CUSTOMER_TYPES)
    .describe('RESIDENTIAL (a home), COMMERCIAL (a business) or LARGE-SCALE (utility or farm scale).'),
  companyname: z
    .string()
    .max(COMPANY_MAX, tooLong)
    .refine(isPrintableText, { message: 'companyname must not contain control characters' })
    .refine(isWellFormed, brokenText('companyname'))
    .describe('Company name, e.g. "Smith Solar Solutions"; "" clears it.'),
  companyphone: phone('Company phone', '1300123456', false),
  gststatus: z.int().min(0).max(1).describe('1 = registered for GST, 0 = not registered.'),
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

export function fieldsIn(update: Partial<Record<UpdatableField, unknown>>): UpdatableField[] {
  return UPDATABLE_FIELDS.filter((field) => update[field] !== undefined);
}

export interface UpdateCustomerSuccess {
  /** A number when the answer gave the id in a documented form; otherwise exactly what it sent. */
  customerId: number | string;
  message: string;
}

/**
 * The id an Update Customer confirmation names, read the documented way: a JSON number, or the
 * decimal digits of a positive integer as a string ("79461"). Nothing else is an id: no sign, no
 * leading zero, no decimal point or exponent, no surrounding space ("080125" and " 79461 " are
 * not 80125 and 79461, they are answers in a shape this server does not know).
 */
export function readCustomerId(raw: string | number): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw > 0 ? raw : undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return undefined;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * Whether the email a lookup answered with is the one asked for. Addresses are compared exactly,
 * but for the case of ASCII letters (Solar Proof may store "John.Smith@Example.com") and ASCII
 * spaces around the answer. Unicode case folding is not used: it makes different addresses equal
 * ("\u212a" KELVIN SIGN folds to "k").
 */
export function isSameEmail(asked: string, answered: string): boolean {
  // Index arithmetic, not /\s+$/: a trailing-space pattern rescans a long run from each position.
  let start = 0;
  let end = answered.length;
  while (start < end && ASCII_SPACE.has(answered.charCodeAt(start))) start++;
  while (end > start && ASCII_SPACE.has(answered.charCodeAt(end - 1))) end--;
  return end - start === asked.length && asciiLower(answered.slice(start, end)) === asciiLower(asked);
}

const ASCII_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * Solar Proof's documented error shape is `{code, message}` with a 4xx/5xx status, but nothing
 * confirms the status, so a body that carries `code` (or `success: false`) is an error whatever
 * the status, 200 included. Returns the error to raise, or undefined when the body is not one.
 */
export function upstreamError(status: number, body: unknown): ToolError | undefined {
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
  if (code && isUpstreamErrorCode(code)) return new ToolError(code, message, { httpStatus: status });
  const older = code === undefined ? undefined : OLDER_CODE_NAMES.get(code);
  if (older) return new ToolError(older, message, { httpStatus: status, upstreamCode: code });
  return new ToolError('UPSTREAM_ERROR', message, { httpStatus: status, upstreamCode: code || undefined });
}

/** Classifies a 2xx Update Customer body. The id comes back as a string ("79461"); an older page calls it `id`. */
export function parseUpdateCustomerSuccess(status: number, body: unknown): UpdateCustomerSuccess {
  const failure = upstreamError(status, body);
  if (failure) throw failure;
  if (isRecord(body)) {
    const rawId = body.CustomerId ?? body.customerId ?? body.id;
    const rawMessage = body.Message ?? body.message;
    if ((typeof rawId === 'string' || typeof rawId === 'number') && typeof rawMessage === 'string') {
      return { customerId: readCustomerId(rawId) ?? rawId, message: cleanUpstreamText(rawMessage) };
    }
  }
  throw new ToolError(
    'UNEXPECTED_RESPONSE',
    `Solar Proof answered HTTP ${status} without the documented Message and CustomerId fields.`,
    { httpStatus: status },
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
