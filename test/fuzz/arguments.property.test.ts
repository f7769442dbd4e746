/**
 * Property-based: thousands of generated argument sets per tool, valid and invalid of every kind,
 * sent through ONE long-lived server (in process, each message serialised as on stdio; the SDK
 * Client) to the stand-in Solar Proof.
 *
 * For every call: the server answers (never crashes), the result is well-formed, a request reaches
 * the stand-in only when the tool's own zod input schema accepts the arguments, and the requests
 * are exactly the ones the record as it stands calls for: update_customer reads it, checks expect
 * and a new email, and sends only the values that differ (never on a dry run), then reads back.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/redact.js';
import { SUCCESS_MESSAGE, toGetCustomerShape } from '../../src/sandbox/api.js';
import { seedCustomers } from '../../src/sandbox/customers.js';
import { expectationMismatches } from '../../src/solarproof/changes.js';
import {
  ACTIONS,
  CUSTOMER_TYPES,
  type CustomerUpdate,
  fieldsIn,
  isSameEmail,
  UPDATABLE_FIELDS,
} from '../../src/solarproof/contract.js';
import { mapCustomerRecord } from '../../src/solarproof/customer.js';
import { cachedCustomer } from '../../src/solarproof/customer-cache.js';
import { parseQuery, rankMatches } from '../../src/solarproof/matching.js';
import { findCustomersTool } from '../../src/tools/find-customers.js';
import { getCustomerTool } from '../../src/tools/get-customer.js';
import { listUpdatesTool } from '../../src/tools/list-updates.js';
import { undoUpdateTool } from '../../src/tools/undo-update.js';
import { updateCustomerTool } from '../../src/tools/update-customer.js';
import {
  envFor,
  expectNoKey,
  SENTINEL_KEY,
  type ServerProcess,
  startInProcessServer,
  startStandIn,
  structured,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';
import {
  assertWellFormed,
  fastTempDir,
  hasLoneSurrogate,
  isRecord,
  overTheWire,
  preview,
  readJsonLines,
} from './support.js';

const RUNS = 5_000;
const SEED = seedCustomers();
const SEEDED_IDS = SEED.map((c) => c.pkcustomerid);
const SEEDED_EMAILS = SEED.map((c) => c.email);
const SEEDED_PROJECTS = SEED.flatMap((c) => c.projects.map((p) => p.project_id));
/** The seed as find_customers searches it: through the Get Customer shape and the server's own mapping. */
const SEARCHABLE = SEED.map((c) => cachedCustomer(mapCustomerRecord(toGetCustomerShape(c))));
const redact = createRedactor([SENTINEL_KEY]);

let standIn: StandIn;
let server: ServerProcess;
const auditPath = join(fastTempDir('solarproof-fuzz-args-'), 'audit.jsonl');
/** Non-object arguments refused at the protocol level, counted for the report. */
let protocolRefusals = 0;

beforeAll(async () => {
  standIn = await startStandIn();
  server = await startInProcessServer(envFor(standIn, { SOLARPROOF_AUDIT_LOG: auditPath }));
  // Listing the tools makes the SDK Client validate every structuredContent against the published
  // output schema, so a result that breaks it fails the call.
  await server.client.listTools();
  // One id lookup that works, so the id-lookup state is known ("working") for the whole run.
  expect(structured(await server.callTool('get_customer', { pkcustomerid: 79461 }))).toMatchObject({
    ok: true,
  });
});

afterAll(async () => {
  await server?.close();
  await standIn?.close();
});

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const control = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0x9f }))
  .map((code) => String.fromCharCode(code));
const loneSurrogate = fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF');
const oddWhitespace = fc.constantFrom(' ', '\t', '\u00a0', '\u2028', '\u3000', '\u200b', '\ufeff');

/** `unit` repeated to exactly `length` UTF-16 units (a cut astral unit leaves a lone surrogate). */
const sized = (lengths: number[], units = ['a', 'é', '😀', '1', 'Z']) =>
  fc
    .tuple(fc.constantFrom(...lengths), fc.constantFrom(...units))
    .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const spliced = (base: fc.Arbitrary<string>, inject: fc.Arbitrary<string>) =>
  fc.tuple(base, inject, base).map(([a, b, c]) => `${a}${b}${c}`);

const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 24 }) },
  {
    weight: 2,
    arbitrary: spliced(fc.string({ maxLength: 8 }), fc.oneof(control, loneSurrogate, oddWhitespace)),
  },
  { weight: 1, arbitrary: sized([0, 1, 29, 30, 31, 99, 100, 101, 149, 150, 151, 253, 254, 255, 1000]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '   ',
      '\u00a0',
      'null',
      'undefined',
      '0',
      "O'Brien; DROP TABLE customers;--",
      '<script>alert(1)</script>',
      '%00',
      '\\u0000',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style payload, literally.
      '${jndi:ldap://x}',
      SENTINEL_KEY,
      `${SENTINEL_KEY} and more`,
    ),
  },
);

const hugeNumbers = fc.constantFrom(
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e21,
  -0,
  Number.NaN, // null on the wire
  Number.POSITIVE_INFINITY, // null on the wire
);

/** Deeply nested objects and arrays, for values that should be refused without effort. */
const nested = fc.tuple(fc.integer({ min: 2, max: 200 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { x: value };
  return value;
});

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  hugeNumbers,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.constantFrom({}, [], [''], { value: 'John' }),
  nested,
);

/** A value for a field: mostly of the right kind, sometimes anything. */
const fieldValue = (good: fc.Arbitrary<unknown>, goodWeight = 4) =>
  fc.oneof(
    { weight: goodWeight, arbitrary: good },
    { weight: 2, arbitrary: anyText },
    { weight: 1, arbitrary: junk },
  );

const names = fc.oneof(
  fc.constantFrom('John', 'Zoë', 'O’Brien-Nguyễn', '太阳能', 'Siobhan', 'Jean-Luc', 'Ngā', 'X Æ A-12'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
);
const phones = fc.oneof(
  fc.constantFrom('0412345678', '+61 412 345 678', '(02) 9876 5432', '1300.123-456', '0', ''),
  fc.stringMatching(/^\+?[0-9 ().-]{0,34}$/),
  sized([29, 30, 31], ['1', '9', ' 1']),
  spliced(fc.stringMatching(/^[0-9]{1,6}$/), fc.constantFrom('x', 'ext', '#', '/', '\n', '١', '０')),
);
const emailLocal = fc.stringMatching(/^[a-z0-9._%+-]{1,20}$/);
const emails = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SEEDED_EMAILS, SEEDED_EMAILS[0]?.toUpperCase() ?? '') },
  { weight: 3, arbitrary: fc.emailAddress() },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        emailLocal,
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
        fc.constantFrom('com', 'com.au', 'co'),
      )
      .map(([local, domain, tld]) => `${local}@${domain}.${tld}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(253, 254, 255, 300)
      .map((length) => `${'a'.repeat(length - '@example.com'.length)}@example.com`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'john.smith@',
      '@example.com',
      'john smith@example.com',
      'john@@example.com',
      'john@example..com',
      'john@example',
      'john@.com',
      'JOHN.SMITH@EXAMPLE.COM',
      'a@b.c',
      'a@b\u0000.com',
      'a\uD800@b.com',
      'ünï@cødé.com',
      'a@b.com\n',
    ),
  },
  {
    weight: 1,
    arbitrary: spliced(emailLocal, fc.oneof(control, loneSurrogate, oddWhitespace)).map(
      (s) => `${s}@example.com`,
    ),
  },
);

const customerId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SEEDED_IDS) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
  { weight: 1, arbitrary: fc.integer({ min: -1_000_000, max: 0 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e6, max: 1e6, noInteger: true }) },
  { weight: 1, arbitrary: hugeNumbers },
  {
    weight: 1,
    arbitrary: fc.constantFrom('79461', ' 79461', '79461.0', '0x1', '1e3', '', null, true, [79461], {
      id: 79461,
    }),
  },
);

/** Values the schema accepts (almost always): the raw material of calls that go through. */
const goodPhone = fc.oneof(
  fc.constantFrom('0412345678', '+61 412 345 678', '(02) 9876 5432', '1300.123-456'),
  fc.stringMatching(/^\+?[0-9 ().-]{0,12}[0-9][0-9 ().-]{0,12}$/),
);
const goodEmail = fc.oneof(
  fc.constantFrom(...SEEDED_EMAILS),
  fc
    .tuple(emailLocal, fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.constantFrom('com', 'com.au', 'net.nz'))
    .map(([local, domain, tld]) => `${local}@${domain}.${tld}`),
);
const validFields = {
  firstname: names,
  surname: names,
  email: goodEmail,
  phone1: goodPhone,
  phone2: fc.oneof(fc.constant(''), goodPhone),
  type: fc.constantFrom(...CUSTOMER_TYPES),
  companyname: fc.oneof(fc.constant(''), names),
  companyphone: fc.oneof(fc.constant(''), goodPhone),
  gststatus: fc.constantFrom(0, 1),
};

const anyFields = {
  firstname: fieldValue(names),
  surname: fieldValue(names),
  email: fieldValue(emails),
  phone1: fieldValue(phones),
  phone2: fieldValue(phones),
  type: fieldValue(
    fc.oneof(
      fc.constantFrom(...CUSTOMER_TYPES),
      fc.constantFrom(
        'residential',
        'Residential',
        'RESIDENTIAL ',
        'LARGE_SCALE',
        'LARGESCALE',
        'INDUSTRIAL',
        '',
      ),
    ),
  ),
  companyname: fieldValue(fc.oneof(fc.constant(''), names, sized([149, 150, 151]))),
  companyphone: fieldValue(phones),
  gststatus: fieldValue(
    fc.constantFrom(0, 1, 0, 1, 2, -1, 0.5, '1', '0', true, false, 1e308, -0, 1.0000000000000002),
  ),
};

const dryRun = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(true, false, undefined) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 1, 0, null, [], {}) },
);

/** Keys that are not arguments, including ones that try to override the body or the prototype. */
const extraKeys = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'action',
      'apikey',
      'api_key',
      'data',
      'nickname',
      'PKCUSTOMERID',
      'pkcustomerid ',
      'dryrun',
      'DryRun',
      'constructor',
      'toString',
      'hasOwnProperty',
      '__proto__',
      '',
      ' ',
      'firstname\u0000',
    ),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof(anyText, junk),
  { minKeys: 1, maxKeys: 2 },
);

const withExtras = <T extends Record<string, unknown>>(base: fc.Arbitrary<T>) =>
  fc
    .tuple(
      base,
      fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: extraKeys }),
    )
    .map(([args, extras]) => (extras === undefined ? args : { ...args, ...extras }));

/**
 * An expect: none mostly; often the seeded record's own values (which still match unless a run
 * changed them), in the forms a person writes them; sometimes anything well-typed.
 */
const seededExpect = fc
  .tuple(
    fc.constantFrom(...SEED),
    fc.subarray(['email', 'firstname', 'surname', 'phone1'] as const, { minLength: 1 }),
  )
  .chain(([customer, fields]) =>
    fc.record(
      Object.fromEntries(
        fields.map((field) => [
          field,
          field === 'email'
            ? fc.constantFrom(customer.email, customer.email.toUpperCase(), ` ${customer.email} `)
            : field === 'phone1'
              ? fc.constantFrom(
                  customer.phone1,
                  `+61 ${customer.phone1.replace(/\D/g, '').replace(/^0/, '')}`,
                )
              : fc.constant(customer[field]),
        ]),
      ),
    ),
  );
const expectation = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: seededExpect },
  { weight: 1, arbitrary: fc.record(validFields, { requiredKeys: [] }) },
);
const anyExpectation = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: seededExpect },
  { weight: 2, arbitrary: fc.record(anyFields, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.oneof(junk, chaosObject()) },
);

/** Arguments that are mostly valid: a real id, a few well-typed fields, dryRun true/false/absent. */
const mostlyValidUpdate = fc
  .tuple(
    fc.constantFrom(...SEEDED_IDS),
    fc.subarray([...UPDATABLE_FIELDS], { minLength: 1, maxLength: 4 }),
    fc.record(validFields),
    fc.constantFrom(true, true, false, undefined),
    expectation,
  )
  .map(([pkcustomerid, chosen, values, dry, expected]) => ({
    pkcustomerid,
    ...Object.fromEntries(chosen.map((field) => [field, values[field]])),
    ...(dry === undefined ? {} : { dryRun: dry }),
    ...(expected === undefined ? {} : { expect: expected }),
  }));

/** Anything goes per key, each key present or not. */
const mixedUpdate = fc
  .tuple(
    fc.option(customerId, { freq: 8, nil: undefined }),
    fc.record(anyFields, { requiredKeys: [] }),
    dryRun,
    anyExpectation,
  )
  .map(([pkcustomerid, fields, dry, expected]) => ({
    ...(pkcustomerid === undefined ? {} : { pkcustomerid }),
    ...fields,
    ...(dry === undefined ? {} : { dryRun: dry }),
    ...(expected === undefined ? {} : { expect: expected }),
  }));

/** Random keys to random values. */
function chaosObject() {
  return fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(anyText, junk), { maxKeys: 5 });
}
const chaos = chaosObject();

/** Not an object at all: the MCP request schema refuses these before the tool runs. */
const notAnObject = fc.constantFrom<unknown>(
  null,
  [],
  [{ pkcustomerid: 79461 }],
  'pkcustomerid=79461',
  42,
  true,
);

const updateArguments: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 30, arbitrary: withExtras(mostlyValidUpdate) },
  { weight: 55, arbitrary: withExtras(mixedUpdate) },
  { weight: 10, arbitrary: chaos },
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: notAnObject },
);

const projectId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEEDED_PROJECTS.map(Number)) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 99_999 }) },
  { weight: 2, arbitrary: customerId },
);

/** One, none, two or three of the lookup keys, each valid or not. */
const lookupMix = fc.record(
  { email: fieldValue(emails, 3), pkcustomerid: customerId, projectId },
  { requiredKeys: [] },
);

const getArguments: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 30, arbitrary: withExtras(emails.map((email) => ({ email }))) },
  { weight: 20, arbitrary: withExtras(fieldValue(emails, 2).map((email) => ({ email }))) },
  { weight: 15, arbitrary: withExtras(customerId.map((pkcustomerid) => ({ pkcustomerid }))) },
  { weight: 10, arbitrary: withExtras(projectId.map((id) => ({ projectId: id }))) },
  { weight: 10, arbitrary: lookupMix },
  { weight: 5, arbitrary: fc.constant({}) },
  { weight: 10, arbitrary: chaos },
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: notAnObject },
);

const FIND_RUNS = 2_000;
const HISTORY_RUNS = 1_000;

/** Pieces of real customers (so many searches match), in the forms people type them. */
const seededQuery = fc
  .tuple(fc.constantFrom(...SEED), fc.integer({ min: 0, max: 7 }), fc.boolean())
  .map(([c, pick, upper]) => {
    const text = [
      `${c.firstname} ${c.surname}`,
      `${c.surname} ${c.firstname}`,
      c.surname.slice(0, 4),
      c.companyname || c.firstname,
      c.email,
      c.email.split('@')[0] ?? c.email,
      c.phone1.replace(/\D/g, '').slice(-7),
      `+61 ${c.phone1.replace(/\D/g, '').replace(/^0/, '')}`,
    ][pick] as string;
    return upper ? text.toUpperCase() : text;
  });

const findArguments: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 35, arbitrary: withExtras(seededQuery.map((query) => ({ query }))) },
  {
    weight: 15,
    arbitrary: fc
      .tuple(seededQuery, fc.oneof(fc.integer({ min: 1, max: 25 }), junk))
      .map(([query, limit]) => ({ query, limit })),
  },
  {
    weight: 25,
    arbitrary: withExtras(fieldValue(fc.oneof(names, phones, emails)).map((query) => ({ query }))),
  },
  { weight: 8, arbitrary: sized([0, 1, 199, 200, 201, 1000]).map((query) => ({ query })) },
  { weight: 5, arbitrary: fc.constant({}) },
  { weight: 7, arbitrary: chaos },
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: notAnObject },
);

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

/** Calls a tool with arguments exactly as generated; a JSON-RPC error comes back as `protocolError`. */
async function callRaw(name: string, args: unknown) {
  try {
    const result = await server.callTool(name, args as Record<string, unknown>);
    return { result };
  } catch (error) {
    return { protocolError: error };
  }
}

/**
 * Non-object arguments never reach the tool: the SDK's request schema refuses them with JSON-RPC
 * error -32602 (invalid params), a protocol error rather than a tool result, as the spec has it.
 */
function expectProtocolRefusal(outcome: { protocolError?: unknown }, args: unknown) {
  const error = outcome.protocolError;
  if (!(error instanceof McpError) || error.code !== ErrorCode.InvalidParams) {
    throw new Error(`tools/call threw for ${preview(args)}: ${String(error)}`);
  }
  protocolRefusals++;
}

/**
 * Calls a tool with the generated arguments. A non-object refusal (a JSON-RPC error) is checked
 * here and gives undefined; otherwise the well-formed result, the arguments as they went over the
 * wire, and how many requests reached the stand-in.
 */
async function callChecked(name: string, args: unknown) {
  const wire = overTheWire(args);
  const before = standIn.requests.length;
  const outcome = await callRaw(name, args);
  const delta = standIn.requests.length - before;
  if (outcome.protocolError !== undefined) {
    expect(isRecord(wire) || wire === undefined).toBe(false);
    expectProtocolRefusal(outcome, args);
    expectUpstreamCount(delta, 0, args);
    return undefined;
  }
  const sentRequests = standIn.requests.slice(before);
  return { wire, delta, sentRequests, data: assertWellFormed(outcome.result as never, args) };
}

/** The requestIds of the updates sent, for undo_update to be given real ones. */
const updateIds: string[] = [];

/** The record as the server reads it from the stand-in now: through the Get Customer shape and its own mapping. */
function currentRecord(customerId: number) {
  const record = standIn.customers.get(customerId);
  return record ? mapCustomerRecord(toGetCustomerShape(record)) : undefined;
}

/**
 * What update_customer must do with valid arguments, given the stand-in's record as it stands:
 * the requests it makes (by action, in order), and the error or the fields it sends.
 */
function updateOracle(
  customerId: number,
  fields: CustomerUpdate,
  expected: Record<string, string | number> | undefined,
  dry: boolean,
): { actions: string[]; code?: string; send: string[] } {
  const read: string = ACTIONS.getCustomerByEmail;
  const current = currentRecord(customerId);
  if (!current) return { actions: [read], code: 'CUSTOMER_NOT_FOUND', send: [] };
  if (expected && expectationMismatches(current, expected).length > 0) {
    return { actions: [read], code: 'CONFLICT', send: [] };
  }
  const send = fieldsIn(fields).filter((field) => fields[field] !== current[field]);
  const actions: string[] = [read];
  if (send.includes('email')) {
    const email = fields.email as string;
    actions.push(read);
    const holder = [...standIn.customers.values()].find((c) => c.email.toLowerCase() === email.toLowerCase());
    // An answer whose address is not the one asked (beyond ASCII case) is not trusted: fail closed.
    if (holder && !isSameEmail(email, holder.email)) return { actions, code: 'UNEXPECTED_RESPONSE', send };
    if (holder && holder.pkcustomerid !== customerId) return { actions, code: 'EMAIL_IN_USE', send };
  }
  if (send.length === 0 || dry) return { actions, send };
  actions.push(ACTIONS.updateCustomer);
  if (standIn.customers.get(customerId)?.locked) return { actions, code: 'PERMISSION_DENIED', send };
  return { actions: [...actions, read], send };
}

/** updateOracle for parsed update_customer arguments. */
function oracleFor(args: Record<string, unknown>) {
  const {
    pkcustomerid,
    dryRun: dry,
    expect: expected,
    ...fields
  } = args as Record<string, unknown> & {
    pkcustomerid: number;
    dryRun?: boolean;
    expect?: Record<string, string | number>;
  };
  return updateOracle(pkcustomerid, fields as CustomerUpdate, expected, dry === true);
}

function expectUpstreamCount(delta: number, expected: number, args: unknown) {
  if (delta !== expected) {
    throw new Error(`expected ${expected} upstream request(s), got ${delta}, for ${preview(args)}`);
  }
}

describe('generated arguments through one server', () => {
  it(`update_customer: ${RUNS} argument sets`, async () => {
    let sent = 0;
    let previews = 0;
    let refused = 0;
    let unchanged = 0;
    let conflicts = 0;
    let inUse = 0;
    await fc.assert(
      fc.asyncProperty(updateArguments, async (args) => {
        // The tool sees the arguments exactly as sent (an own "__proto__" key included).
        const parsed = updateCustomerTool.inputSchema.safeParse(overTheWire(args) ?? {});
        // What the call must do follows from the record as it is before the call.
        const outcome = parsed.success ? oracleFor(parsed.data as Record<string, unknown>) : undefined;
        const call = await callChecked('update_customer', args);
        if (!call) return;
        const { delta, sentRequests, data } = call;

        if (!parsed.success || !outcome) {
          refused++;
          expectUpstreamCount(delta, 0, args);
          expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS', retryable: false });
          expect(Array.isArray(data.issues) && data.issues.length > 0).toBe(true);
          return;
        }

        const {
          pkcustomerid,
          dryRun: dry,
          expect: _expected,
          ...fields
        } = parsed.data as Record<string, unknown> & {
          pkcustomerid: number;
          dryRun?: boolean;
        };
        expect(fieldsIn(fields).length).toBeGreaterThan(0);
        const actions = sentRequests.map((request) => request.query.action);
        expect(actions, preview(args)).toEqual(outcome.actions);
        if (outcome.code) {
          expect(data, preview(args)).toMatchObject({ ok: false, code: outcome.code });
          if (outcome.code === 'CONFLICT') conflicts++;
          if (outcome.code === 'EMAIL_IN_USE') inUse++;
          return;
        }
        expect(data, preview(args)).toMatchObject({
          ok: true,
          customerId: pkcustomerid,
          fieldsSent: outcome.send,
          changed: outcome.send.length > 0,
        });
        if (outcome.send.length === 0) {
          unchanged++;
          return;
        }
        const expectedData = {
          apikey: SENTINEL_KEY,
          action: ACTIONS.updateCustomer,
          pkcustomerid,
          ...Object.fromEntries(outcome.send.map((field) => [field, fields[field]])),
        };
        if (dry === true) {
          previews++;
          expect(data).toMatchObject({ dryRun: true });
          // The preview is the would-be body, key redacted (and any value equal to it, too).
          expect(data.request.body.data).toEqual(
            JSON.parse(redact(JSON.stringify({ ...expectedData, apikey: '[REDACTED]' }))),
          );
          return;
        }
        sent++;
        const request = sentRequests.find((r) => r.query.action === ACTIONS.updateCustomer);
        if (!request) throw new Error('the stand-in recorded no update');
        expect(request.method).toBe('POST');
        expect(request.query).toEqual({ api_key: SENTINEL_KEY, action: ACTIONS.updateCustomer });
        // Only the fields that differed, with exactly the given values.
        expect((request.body as { data: unknown }).data).toEqual(expectedData);
        expect(data).toMatchObject({ message: SUCCESS_MESSAGE, attempts: 1, verified: true });
        if (typeof data.requestId === 'string') updateIds.push(data.requestId);
      }),
      { numRuns: RUNS },
    );
    // The mix really covered every path, and the server still answers.
    expect(sent).toBeGreaterThan(RUNS * 0.03);
    expect(previews).toBeGreaterThan(RUNS * 0.03);
    expect(refused).toBeGreaterThan(RUNS * 0.4);
    expect(conflicts).toBeGreaterThan(0);
    expect(unchanged).toBeGreaterThan(0);
    const after = await server.call({ pkcustomerid: 79461, phone2: '02 9999 0000' });
    expect(after.structuredContent).toMatchObject({ ok: true });
    console.info(
      `update_customer: ${sent} sent, ${previews} dry runs, ${unchanged} unchanged, ${conflicts} CONFLICT, ${inUse} EMAIL_IN_USE, ${refused} refused`,
    );
  }, 120_000);

  it(`get_customer: ${RUNS} argument sets`, async () => {
    standIn.reset(); // the seeded emails, whatever the updates above changed
    // One id lookup that works, so the id-lookup state is known ("working") for the whole run.
    expect(structured(await server.callTool('get_customer', { pkcustomerid: 79461 }))).toMatchObject({
      ok: true,
    });
    let sent = 0;
    let found = 0;
    await fc.assert(
      fc.asyncProperty(getArguments, async (args) => {
        const call = await callChecked('get_customer', args);
        if (!call) return;
        const { wire, delta, sentRequests, data } = call;
        // The tool sees the arguments exactly as sent (an own "__proto__" key included).
        const parsed = getCustomerTool.inputSchema.safeParse(wire ?? {});
        if (!parsed.success) {
          expectUpstreamCount(delta, 0, args);
          expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
          return;
        }

        sent++;
        const lookup = parsed.data as { email?: string; pkcustomerid?: number; projectId?: number };
        if (lookup.pkcustomerid !== undefined) {
          // Id lookups work in this process (warmed up above): the documented form alone, once.
          expectUpstreamCount(delta, 1, args);
          expect(sentRequests[0]?.query).toEqual({
            api_key: SENTINEL_KEY,
            action: ACTIONS.getCustomerByEmail,
            customer_email: String(lookup.pkcustomerid),
          });
          const known = SEED.some((c) => c.pkcustomerid === lookup.pkcustomerid);
          if (known) found++;
          expect(data).toMatchObject(
            known
              ? { ok: true, customer: { pkcustomerid: lookup.pkcustomerid } }
              : { ok: false, code: 'CUSTOMER_NOT_FOUND' },
          );
          return;
        }
        if (lookup.projectId !== undefined) {
          expectUpstreamCount(delta, 1, args);
          expect(sentRequests[0]?.query).toEqual({
            api_key: SENTINEL_KEY,
            action: ACTIONS.getCustomerOfProject,
            project_id: String(lookup.projectId),
          });
          const owner = SEED.find((c) => c.projects.some((p) => p.project_id === String(lookup.projectId)));
          if (owner) found++;
          expect(data).toMatchObject(
            owner
              ? {
                  ok: true,
                  customer: { pkcustomerid: owner.pkcustomerid },
                  project: { projectId: lookup.projectId },
                }
              : { ok: false, code: 'CUSTOMER_NOT_FOUND' },
          );
          return;
        }
        const email = lookup.email as string;
        expectUpstreamCount(delta, 1, args);
        const request = sentRequests[0];
        expect(request?.method).toBe('GET');
        expect(request?.query.action).toBe(ACTIONS.getCustomerByEmail);
        expect(Object.keys(request?.query ?? {}).sort()).toEqual(['action', 'api_key', 'customer_email']);
        // The address arrives exactly as given. (A lone surrogate cannot travel in a URL, where it
        // became U+FFFD: since 08bf9f7 the schema refuses it, so it never gets this far.)
        expect(hasLoneSurrogate(email)).toBe(false);
        expect(request?.query.customer_email).toBe(email);

        const customer = SEED.find((c) => c.email.toLowerCase() === email.toLowerCase());
        if (customer) {
          found++;
          expect(data).toMatchObject({ ok: true, customer: { pkcustomerid: customer.pkcustomerid } });
        } else {
          expect(data).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND', httpStatus: 404 });
        }
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThan(RUNS * 0.2);
    expect(found).toBeGreaterThan(0);
    const after = await server.callTool('get_customer', { email: 'john.smith@example.com' });
    expect(after.structuredContent).toMatchObject({ ok: true });
    console.info(`get_customer: ${sent} sent (${found} found)`);
  }, 120_000);

  it(`find_customers: ${FIND_RUNS} argument sets`, async () => {
    standIn.reset();
    let searched = 0;
    let matched = 0;
    await fc.assert(
      fc.asyncProperty(findArguments, async (args) => {
        const call = await callChecked('find_customers', args);
        if (!call) return;
        const { wire, delta, sentRequests, data } = call;
        const parsed = findCustomersTool.inputSchema.safeParse(wire ?? {});
        if (!parsed.success) {
          expectUpstreamCount(delta, 0, args);
          expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
          return;
        }
        searched++;
        const { query, limit = 10 } = parsed.data as { query: string; limit?: number };
        // Only Get All Customers pages are ever asked, and only when the cached list is missing or old.
        for (const request of sentRequests) {
          expect(request.method).toBe('GET');
          expect(request.query.action).toBe(ACTIONS.getAllCustomers);
        }
        expect(delta === 0 || delta >= 3).toBe(true);
        // The same answer as the pure ranking over the seed: nothing lost or added on the way.
        const expected = rankMatches(parseQuery(query), SEARCHABLE);
        expect(data).toMatchObject({
          ok: true,
          totalMatches: expected.length,
          scan: { pages: 3, customers: SEED.length, complete: true },
        });
        expect(data.customers.map((c: { pkcustomerid: number }) => c.pkcustomerid)).toEqual(
          expected.slice(0, limit).map((r) => r.item.summary.pkcustomerid),
        );
        if (expected.length > 0) matched++;
      }),
      { numRuns: FIND_RUNS },
    );
    expect(searched).toBeGreaterThan(FIND_RUNS * 0.3);
    expect(matched).toBeGreaterThan(FIND_RUNS * 0.05);
    console.info(`find_customers: ${searched} searched (${matched} with matches)`);
  }, 120_000);

  it(`list_updates: ${HISTORY_RUNS} argument sets`, async () => {
    // A search may still have a page or two past the end in flight: let them land before counting.
    await sleep(300);
    let listed = 0;
    const listArguments: fc.Arbitrary<unknown> = fc.oneof(
      {
        weight: 30,
        arbitrary: withExtras(
          fc.record(
            {
              pkcustomerid: fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom(...SEEDED_IDS) },
                { weight: 1, arbitrary: customerId },
              ),
              limit: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer(), junk),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { weight: 5, arbitrary: fc.constant({}) },
      { weight: 5, arbitrary: chaos },
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: notAnObject },
    );
    await fc.assert(
      fc.asyncProperty(listArguments, async (args) => {
        const call = await callChecked('list_updates', args);
        if (!call) return;
        const { wire, delta, data } = call;
        // It reads the local audit log only: never a request.
        expectUpstreamCount(delta, 0, args);
        const parsed = listUpdatesTool.inputSchema.safeParse(wire ?? {});
        if (!parsed.success) {
          expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
          return;
        }
        listed++;
        const { pkcustomerid, limit = 10 } = parsed.data as { pkcustomerid?: number; limit?: number };
        expect(data.ok).toBe(true);
        const updates = data.updates as Array<{ time: string; customer: { pkcustomerid: number } }>;
        expect(updates.length).toBeLessThanOrEqual(limit);
        for (const update of updates)
          if (pkcustomerid !== undefined) expect(update.customer.pkcustomerid).toBe(pkcustomerid);
        // Newest first.
        const times = updates.map((update) => update.time);
        expect(times).toEqual([...times].sort().reverse());
      }),
      { numRuns: HISTORY_RUNS },
    );
    expect(listed).toBeGreaterThan(HISTORY_RUNS * 0.3);
  }, 120_000);

  it(`undo_update: ${HISTORY_RUNS} argument sets`, async () => {
    expect(updateIds.length).toBeGreaterThan(10);
    let undone = 0;
    let refusedUndo = 0;
    // The updates of the property above were mostly overwritten since (their undo is a CONFLICT), so
    // a few fresh ones, on customers of their own, give the success path a fair chance every run.
    const fresh: string[] = [];
    for (const [i, pkcustomerid] of [79461, 80125, 83019, 90001, 90002].entries()) {
      const made = await callChecked('update_customer', { pkcustomerid, phone2: `0499 000 ${100 + i}` });
      if (made?.data.ok === true && typeof made.data.requestId === 'string') {
        fresh.push(made.data.requestId);
        updateIds.push(made.data.requestId);
      }
    }
    expect(fresh.length).toBeGreaterThan(0);
    const realId = fc.integer({ min: 0, max: updateIds.length - 1 }).map((i) => updateIds[i] as string);
    const freshId = fc.constantFrom(...fresh);
    const requestId = fc.oneof(
      { weight: 3, arbitrary: freshId },
      { weight: 6, arbitrary: realId },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: anyText },
      { weight: 1, arbitrary: junk },
    );
    const undoArguments: fc.Arbitrary<unknown> = fc.oneof(
      {
        weight: 30,
        arbitrary: withExtras(
          fc
            .tuple(requestId, dryRun)
            .map(([id, dry]) => ({ requestId: id, ...(dry === undefined ? {} : { dryRun: dry }) })),
        ),
      },
      { weight: 5, arbitrary: fc.constant({}) },
      { weight: 5, arbitrary: chaos },
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: notAnObject },
    );
    await fc.assert(
      fc.asyncProperty(undoArguments, async (args) => {
        const call = await callChecked('undo_update', args);
        if (!call) return;
        const { wire, delta, sentRequests, data } = call;
        const parsed = undoUpdateTool.inputSchema.safeParse(wire ?? {});
        const updates = sentRequests.filter((r) => r.query.action === ACTIONS.updateCustomer);
        if (!parsed.success) {
          expectUpstreamCount(delta, 0, args);
          expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
          return;
        }
        const { requestId: id, dryRun: dry } = parsed.data as { requestId: string; dryRun?: boolean };
        if (!updateIds.includes(id)) {
          // Not an update of this server: refused from the log alone, nothing asked of Solar Proof.
          expectUpstreamCount(delta, 0, args);
          expect(data).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
          return;
        }
        // An update is sent only when the undo changes the record, and then once.
        const changing = data.ok === true && data.changed === true && dry !== true;
        expect(updates).toHaveLength(changing ? 1 : 0);
        if (!data.ok) {
          refusedUndo++;
          expect([
            'CONFLICT',
            'EMAIL_IN_USE',
            'PERMISSION_DENIED',
            'INVALID_ARGUMENTS',
            'UNEXPECTED_RESPONSE',
          ]).toContain(data.code);
          return;
        }
        expect(data.undoOf).toBe(id);
        if (!changing) return;
        undone++;
        if (typeof data.requestId === 'string') updateIds.push(data.requestId);
        // The record now holds the values from before the undone update.
        const record = currentRecord(data.customerId as number) as Record<string, unknown> | undefined;
        for (const change of data.changes as Array<{ field: string; to: unknown }>) {
          if (String(change.to).includes('[REDACTED]')) continue;
          expect(record?.[change.field]).toBe(change.to);
        }
      }),
      { numRuns: HISTORY_RUNS },
    );
    expect(undone).toBeGreaterThan(0);
    console.info(`undo_update: ${undone} undone, ${refusedUndo} refused (CONFLICT and the like)`);
  }, 120_000);

  it('leaks the key nowhere: results, stderr, audit log', () => {
    console.info(`non-object arguments refused with -32602: ${protocolRefusals}`);
    for (const result of server.results) expectNoKey(result);
    expectNoKey(server.stderr());
    const records = readJsonLines(auditPath);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(['update_requested', 'update_completed']).toContain(record.event);
    expectNoKey(JSON.stringify(records));
    // Every update that passed validation (sent or previewed) was recorded before and after.
    const requested = records.filter((r) => r.event === 'update_requested').length;
    const completed = records.filter((r) => r.event === 'update_completed').length;
    expect(requested).toBe(completed);
  });
});
