/**
 * Get Customer's answer, translated into Update Customer's vocabulary so an assistant can compare
 * and then update without translating. The endpoint is only documented, never confirmed: ids and
 * numbers arrive as strings, labels vary in case, older pages show "" for notes and "0" for status,
 * and fields may be missing. What cannot be mapped with confidence is passed through in `unmapped`
 * instead of being guessed.
 */
import * as z from 'zod';
import { ToolError } from '../errors.js';
import { CUSTOMER_TYPES, type CustomerType, isRecord, upstreamError } from './contract.js';
import { cleanUpstreamText } from './errors.js';

/** Status codes from the customer_status_change webhook page, for answers that send a number. */
const STATUS_LABELS: Record<string, string> = {
  '0': 'No Status',
  '1': 'New Contacts',
  '2': 'Signed',
  '3': 'Mega Status',
};

const text = z.string().nullable();

export const customerOutputSchema = z
  .strictObject({
    pkcustomerid: z.int().nullable().describe('The id update_customer takes (Get Customer’s customer_id).'),
    firstname: text,
    surname: text,
    email: text,
    phone1: text,
    phone2: text,
    type: z
      .enum(CUSTOMER_TYPES)
      .nullable()
      .describe(
        'RESIDENTIAL, COMMERCIAL or LARGE-SCALE; null if Solar Proof sent something else (see unmapped).',
      ),
    companyname: text,
    companyphone: text,
    gststatus: z
      .union([z.literal(0), z.literal(1)])
      .nullable()
      .describe('1 = GST registered, 0 = not; null if unknown (see unmapped).'),
    status: text.describe('The customer’s pipeline status label, e.g. "Signed" or "No Status Set".'),
    creationDate: text.describe(
      'When the record was created, as Solar Proof sent it ("2025-03-14 09:26:53", Australian local time).',
    ),
    owner: z
      .strictObject({
        userId: text,
        firstName: text,
        lastName: text,
        email: text,
        phone: text,
        workTitle: text,
        username: text,
      })
      .nullable()
      .describe('The Solar Proof user who owns the customer.'),
    notes: z
      .array(z.strictObject({ datetime: text, note: z.string() }))
      .nullable()
      .describe('Notes on the record, oldest first as sent; null when the lookup does not carry them.'),
    projects: z
      .array(
        z.strictObject({
          projectId: text,
          title: text,
          siteAddress: text.describe('One line: "12 Wattle Street, Parramatta NSW 2150, Australia".'),
          systemSizeKw: z.number().nullable(),
          panels: text.describe('Quantity and type, e.g. "15 × Jinko Tiger Neo 440W".'),
          inverter: text,
          proposalLink: text,
        }),
      )
      .nullable()
      .describe('A short summary of each project; null when the lookup does not carry them.'),
    unmapped: z
      .record(z.string(), z.json())
      .describe('Fields Solar Proof sent that could not be mapped with confidence, exactly as sent.'),
  })
  .describe('The customer in update_customer’s vocabulary.');

export type Customer = z.output<typeof customerOutputSchema>;

/** A converted field, and what to pass through in `unmapped` instead (nothing when absent). */
interface Converted<T> {
  value: T;
  passThrough?: unknown;
}
type Converter<T> = (sent: unknown) => Converted<T>;
/** For each result field, the answer's field it is read from and how. */
type Fields<T> = { readonly [K in keyof T]: readonly [source: string, convert: Converter<T[K]>] };
interface FieldTable<T> {
  readonly fields: Fields<T>;
  /** The answer's fields the table reads; any other is passed through. */
  readonly sources: ReadonlySet<string>;
}

function fieldTable<T>(fields: Fields<T>): FieldTable<T> {
  const sources = Object.values<readonly [string, unknown]>(fields).map(([source]) => source);
  return { fields, sources: new Set(sources) };
}

/** A conversion whose null means "could not": what was sent, if it was anything, is passed through. */
function orPassThrough<T>(
  convert: (sent: unknown) => T | null,
  sentSomething = present,
): Converter<T | null> {
  return (sent) => {
    const value = convert(sent);
    return value === null && sentSomething(sent) ? { value, passThrough: sent } : { value };
  };
}

const asText = orPassThrough(str);

type CustomerFields = Omit<Customer, 'unmapped'>;

/** Get Customer's documented fields, in its documented order. */
const GET_CUSTOMER_FIELDS = fieldTable<CustomerFields>({
  // An id field that is there but is no id, even null or "", is passed through as sent.
  pkcustomerid: ['customer_id', orPassThrough(toId, (sent) => sent !== undefined)],
  firstname: ['customer_first_name', asText],
  surname: ['customer_last_name', asText],
  email: ['customer_email', asText],
  phone1: ['customer_phone_1', asText],
  phone2: ['customer_phone_2', asText],
  type: ['customer_type', orPassThrough(toCustomerType)],
  companyname: ['company_name', asText],
  companyphone: ['company_phone', asText],
  gststatus: ['gst_status', orPassThrough(toGstStatus)],
  status: ['customer_status', orPassThrough(toStatus)],
  creationDate: ['creation_date', asText],
  owner: ['owner_user_info', orPassThrough(toOwner)],
  notes: ['customer_notes', toNotes],
  projects: ['projects', toProjects],
});

/** Get Customer of Project's fields with a meaning in update_customer's vocabulary, under its own names. */
const PROJECT_CUSTOMER_FIELDS = fieldTable({
  pkcustomerid: ['customerID', orPassThrough(toId)],
  firstname: ['firstName', asText],
  surname: ['surname', asText],
  email: ['email', asText],
  phone1: ['phone1', asText],
  phone2: ['phone2', asText],
  companyname: ['companyName', asText],
  companyphone: ['companyPhone', asText],
  gststatus: ['gstRegistered', orPassThrough(toGstStatus)],
  siteAddress: [
    'siteAddress',
    orPassThrough((sent) => mapNullable(str(sent), (text) => cleanUpstreamText(text, 300))),
  ],
});

/** What Get Customer of Project does not carry: null, never guessed. */
const NOT_CARRIED: Customer = Object.freeze({
  pkcustomerid: null,
  firstname: null,
  surname: null,
  email: null,
  phone1: null,
  phone2: null,
  type: null,
  companyname: null,
  companyphone: null,
  gststatus: null,
  status: null,
  creationDate: null,
  owner: null,
  notes: null,
  projects: null,
  unmapped: {},
});

/** The table's fields, converted; the answer's other fields and what could not be converted go to unmapped. */
function mapFields<T>(record: Record<string, unknown>, table: FieldTable<T>): T & Pick<Customer, 'unmapped'> {
  // A Map, not an object: an answer's own "__proto__" key must stay a key, not become a prototype.
  const unmapped = new Map<string, unknown>();
  for (const [key, value] of Object.entries(record)) {
    if (!table.sources.has(key)) unmapped.set(key, value);
  }
  const fields: Record<string, unknown> = {};
  const entries = Object.entries(table.fields) as Array<[string, readonly [string, Converter<unknown>]]>;
  for (const [field, [source, convert]] of entries) {
    const { value, passThrough } = convert(record[source]);
    fields[field] = value;
    if (passThrough !== undefined) unmapped.set(source, passThrough);
  }
  return { ...(fields as T), unmapped: boundUnmapped(unmapped) };
}

/** `subject` names what was looked up, for the not-found message: "this email", "id 79461". */
export function parseGetCustomer(status: number, body: unknown, subject = 'this email'): Customer {
  const failure = upstreamError(status, body);
  if (failure) throw failure;
  // An empty list is the natural way for a lookup to say "nobody has this email".
  if (isEmptyAnswer(body)) {
    throw new ToolError('CUSTOMER_NOT_FOUND', `Solar Proof found no customer with ${subject}.`, {
      httpStatus: status,
    });
  }
  const several = Array.isArray(body)
    ? body.length
    : isRecord(body) && Array.isArray(body.data)
      ? body.data.length
      : 0;
  if (several > 1) {
    throw new ToolError(
      'UNEXPECTED_RESPONSE',
      `Solar Proof returned ${several} customers for one email; this tool expects exactly one.`,
      {
        httpStatus: status,
        hint: 'Several customers share this email, which Solar Proof warns causes problems. Tell the user; they must pick the right record in Solar Proof (and should make the emails unique) before anything is updated.',
      },
    );
  }
  const record = unwrap(body);
  if (!record) {
    throw new ToolError(
      'UNEXPECTED_RESPONSE',
      `Solar Proof answered HTTP ${status} without a customer object.`,
      { httpStatus: status },
    );
  }
  return mapCustomerRecord(record);
}

/** One Get Customer object (the shape Get All Customers lists too) in update_customer's vocabulary. */
export function mapCustomerRecord(record: Record<string, unknown>): Customer {
  return mapFields(record, GET_CUSTOMER_FIELDS);
}

export interface CustomerPage {
  customers: Customer[];
  /** Entries the page held, readable or not: fewer than a full page means it was the last. */
  entries: number;
}

/**
 * A Get All Customers page: documented as a JSON array of Get Customer objects. Accepts it under
 * `data` or `customers` too; `null` or an empty list is an empty page (past the end). Entries that
 * are not objects are counted (so a short page still ends the scan) but cannot be customers.
 */
export function parseCustomerPage(status: number, body: unknown): CustomerPage {
  const failure = upstreamError(status, body);
  if (failure) throw failure;
  const list = Array.isArray(body)
    ? body
    : isRecord(body)
      ? (body.data ?? body.customers ?? body.Customers)
      : undefined;
  if (list === null) return { customers: [], entries: 0 };
  if (!Array.isArray(list)) {
    throw new ToolError(
      'UNEXPECTED_RESPONSE',
      `Solar Proof answered a Get All Customers page (HTTP ${status}) without a list of customers.`,
      { httpStatus: status },
    );
  }
  return { customers: list.filter(isRecord).map(mapCustomerRecord), entries: list.length };
}

export interface ProjectCustomer {
  customer: Customer;
  siteAddress: string | null;
}

/**
 * Get Customer of Project: `{"Message": …, "Customer": {customerID, firstName, …}}`, its fields
 * named differently again. What this answer does not carry (type, status, notes, projects…) is
 * null, never guessed; its other fields (uid, customerabn, note, contactTime…) go to unmapped.
 */
export function parseCustomerOfProject(status: number, body: unknown, projectId: number): ProjectCustomer {
  const failure = upstreamError(status, body);
  if (failure) throw failure;
  const holder = isRecord(body) && isRecord(body.data) && !('Customer' in body) ? body.data : body;
  const raw = isRecord(holder) ? ('Customer' in holder ? holder.Customer : holder.customer) : undefined;
  if (
    raw === null ||
    (Array.isArray(raw) && raw.length === 0) ||
    (isRecord(raw) && Object.keys(raw).length === 0)
  ) {
    throw new ToolError('CUSTOMER_NOT_FOUND', `Solar Proof found no customer for project ${projectId}.`, {
      httpStatus: status,
    });
  }
  const record = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (!isRecord(record)) {
    throw new ToolError(
      'UNEXPECTED_RESPONSE',
      `Solar Proof answered the lookup of project ${projectId} (HTTP ${status}) without a Customer object.`,
      { httpStatus: status },
    );
  }
  const { siteAddress, ...carried } = mapFields(record, PROJECT_CUSTOMER_FIELDS);
  return { customer: { ...NOT_CARRIED, ...carried }, siteAddress };
}

const PASS_THROUGH_MAX_DEPTH = 8;
const PASS_THROUGH_MAX_VALUES = 1_000;
const PASS_THROUGH_MAX_CHARS = 4_000;

/**
 * Unmapped values travel to the model as they came, but only while small and shallow: a hostile or
 * broken answer (a 10,000-deep array, 300,000 zeros, a megabyte blob) would otherwise blow up
 * validation, the text block and the model's context. Anything larger is replaced by a note.
 * One breadth-first walk that stops at the first limit: it neither recurses nor spreads.
 */
function boundedPassThrough(value: unknown): unknown {
  let level: unknown[] = [value];
  let values = 0;
  for (let depth = 0; level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const item of level) {
      if (item === null || typeof item !== 'object') continue;
      if (depth >= PASS_THROUGH_MAX_DEPTH)
        return `[omitted: nested more than ${PASS_THROUGH_MAX_DEPTH} levels deep]`;
      for (const child of Object.values(item)) {
        if (++values > PASS_THROUGH_MAX_VALUES)
          return `[omitted: more than ${PASS_THROUGH_MAX_VALUES} values]`;
        next.push(child);
      }
    }
    level = next;
  }
  const json = JSON.stringify(value) ?? 'null';
  if (json.length > PASS_THROUGH_MAX_CHARS) return `[omitted: ${json.length} characters of JSON]`;
  // Through JSON and back: a number too large for a double (1e400) was parsed as Infinity, which
  // JSON cannot carry; it reaches the result as the null it would be serialised as anyway.
  return JSON.parse(json);
}

const UNMAPPED_MAX_KEYS = 50;
const UNMAPPED_MAX_TOTAL_CHARS = 16_000;

/** Each value bounded, and the whole set too: an answer can carry any number of odd fields. */
function boundUnmapped(unmapped: Map<string, unknown>): Customer['unmapped'] {
  const kept: Array<[string, unknown]> = [];
  let total = 0;
  let dropped = 0;
  for (const [key, value] of unmapped) {
    const bounded = boundedPassThrough(value);
    const size = key.length + (JSON.stringify(bounded)?.length ?? 0);
    if (kept.length >= UNMAPPED_MAX_KEYS || total + size > UNMAPPED_MAX_TOTAL_CHARS) {
      dropped++;
      continue;
    }
    kept.push([cleanUpstreamText(key, 100), bounded]);
    total += size;
  }
  if (dropped > 0)
    kept.push(['_omitted', `${dropped} more unmapped fields were left out to keep the result small`]);
  // fromEntries defines own properties, so even a "__proto__" key is kept as data. The values came
  // from JSON.parse, so they are JSON.
  return Object.fromEntries(kept) as Customer['unmapped'];
}

function isEmptyAnswer(body: unknown): boolean {
  if (Array.isArray(body)) return body.length === 0;
  return (
    isRecord(body) &&
    Object.keys(body).length === 1 &&
    (body.data === null || (Array.isArray(body.data) && body.data.length === 0))
  );
}

/** One customer object, whether sent bare, in a one-element array, or under `data` (a few levels at most). */
function unwrap(body: unknown, depth = 0): Record<string, unknown> | undefined {
  if (depth > 3) return undefined;
  if (Array.isArray(body)) return body.length === 1 ? unwrap(body[0], depth + 1) : undefined;
  if (!isRecord(body)) return undefined;
  if ('customer_id' in body || 'customer_email' in body) return body;
  if (isRecord(body.data) || Array.isArray(body.data)) return unwrap(body.data, depth + 1);
  if (isRecord(body.customer)) return unwrap(body.customer, depth + 1);
  return undefined;
}

function mapNullable<T, U>(value: T | null, map: (value: T) => U): U | null {
  return value === null ? null : map(value);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function str(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function toId(value: unknown): number | null {
  const raw = str(value)?.trim();
  if (!raw || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

function toCustomerType(value: unknown): CustomerType | null {
  const raw = str(value)
    ?.trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '-');
  if (!raw) return null;
  if (raw === 'LARGESCALE') return 'LARGE-SCALE';
  return (CUSTOMER_TYPES as readonly string[]).includes(raw) ? (raw as CustomerType) : null;
}

function toGstStatus(value: unknown): 0 | 1 | null {
  if (value === 1 || value === '1' || value === true) return 1;
  if (value === 0 || value === '0' || value === false) return 0;
  const raw = str(value)?.trim().toLowerCase();
  if (!raw) return null;
  if (/^(not|non|un)[\s-]*(gst[\s-]*)?registered$|^not gst registered$/.test(raw)) return 0;
  if (/^(gst[\s-]*)?registered$/.test(raw)) return 1;
  return null;
}

function toStatus(value: unknown): string | null {
  const raw = str(value)?.trim();
  if (!raw) return null;
  return STATUS_LABELS[raw] ?? raw;
}

/** Notes as a list; what it cannot read (another shape, or some entries) is passed through. */
function toNotes(value: unknown): Converted<CustomerFields['notes']> {
  if (!present(value)) return { value: [] };
  if (!Array.isArray(value)) return { value: [], passThrough: value };
  const notes: NonNullable<Customer['notes']> = [];
  const skipped: unknown[] = [];
  for (const entry of value) {
    if (typeof entry === 'string') {
      if (entry) notes.push({ datetime: null, note: entry });
      continue;
    }
    const note = isRecord(entry) ? str(entry.note) : null;
    if (isRecord(entry) && note !== null) notes.push({ datetime: str(entry.datetime), note });
    else skipped.push(entry);
  }
  return skipped.length > 0 ? { value: notes, passThrough: skipped } : { value: notes };
}

/** Projects as a list; what it cannot read (another shape, or entries that are not objects) is passed through. */
function toProjects(value: unknown): Converted<CustomerFields['projects']> {
  if (!Array.isArray(value)) return present(value) ? { value: [], passThrough: value } : { value: [] };
  const projects = value.filter(isRecord).map(toProject);
  if (projects.length === value.length) return { value: projects };
  return { value: projects, passThrough: value.filter((entry) => !isRecord(entry)) };
}

function toOwner(value: unknown): Customer['owner'] {
  if (!isRecord(value)) return null;
  return {
    userId: str(value.user_id),
    firstName: str(value.first_name),
    lastName: str(value.last_name),
    email: str(value.email),
    phone: str(value.phone_number),
    workTitle: str(value.work_title),
    username: str(value.username),
  };
}

function toProject(project: Record<string, unknown>): NonNullable<Customer['projects']>[number] {
  const address = isRecord(project.site_address) ? project.site_address : {};
  const street = [str(address.streetnum), str(address.street)].filter(Boolean).join(' ');
  const locality = [str(address.suburb), str(address.state), str(address.postcode)].filter(Boolean).join(' ');
  const siteAddress = [street, locality, str(address.country)].filter(Boolean).join(', ') || null;
  const size = Number.parseFloat(str(project.system_size) ?? '');
  const count = (quantity: unknown, kind: unknown) => {
    const parts = [str(quantity), str(kind)].filter(Boolean);
    return parts.length === 2 ? `${parts[0]} × ${parts[1]}` : (parts[0] ?? null);
  };
  return {
    projectId: str(project.project_id),
    title: str(project.project_title) === null ? null : cleanUpstreamText(project.project_title, 200),
    siteAddress,
    systemSizeKw: Number.isFinite(size) ? size : null,
    panels: count(project.solar_panel_quantity, project.solar_panel_type),
    inverter: count(project.inverter_quantity, project.inverter_type),
    proposalLink: str(project.proposal_link),
  };
}
