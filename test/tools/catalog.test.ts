/**
 * The catalogue checks itself: every tool, as tools/list publishes it, meets the same rules, so a
 * new tool cannot ship without annotations, with a schema a model provider rejects, or with more
 * text than a model should have to read.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createServer } from '../../src/server.js';
import { describeTool, TOOLS } from '../../src/tools/catalog.js';

/** What a model reads of one tool: its name, description and input schema. */
const TOOL_BUDGET = 2_000;
const TOOL_BUDGETS: Record<string, number> = { update_customer: 2_800 };
const CATALOGUE_BUDGET = 7_000;

/** The JSON Schema keywords every model provider takes in a tool's input (no pattern, no $ref, no exclusive bounds). */
const PORTABLE_INPUT_KEYWORDS = new Set([
  'type',
  'description',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'format',
  'default',
]);
/** Keywords whose value is a map of subschemas, a subschema, or a list of them. */
const SCHEMA_MAPS = ['properties', 'definitions', '$defs'];
const SCHEMA_ONE = ['items', 'additionalProperties', 'not', 'propertyNames'];
const SCHEMA_LIST = ['anyOf', 'oneOf', 'allOf'];
/** A subschema that says nothing about its value accepts anything: the Inspector's "untyped-schema". */
const CONSTRAINING = ['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', 'not'];

type Schema = Record<string, unknown>;

/** Every subschema with its path, depth first. */
function* subschemas(schema: unknown, path = ''): Generator<[string, unknown]> {
  yield [path, schema];
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Schema;
  for (const key of SCHEMA_MAPS) {
    const map = node[key];
    if (map && typeof map === 'object') {
      for (const [name, child] of Object.entries(map)) yield* subschemas(child, `${path}.${key}.${name}`);
    }
  }
  for (const key of SCHEMA_ONE) {
    // `additionalProperties: false` is the one boolean the Inspector expects there.
    if (key in node && typeof node[key] !== 'boolean') yield* subschemas(node[key], `${path}.${key}`);
  }
  for (const key of SCHEMA_LIST) {
    const list = node[key];
    if (Array.isArray(list))
      for (const [i, child] of list.entries()) yield* subschemas(child, `${path}.${key}[${i}]`);
  }
}

/** The MCP Inspector's `--strict` portability findings, for any schema. */
function portabilityFindings(schema: unknown): string[] {
  const findings: string[] = [];
  for (const [path, node] of subschemas(schema)) {
    if (typeof node === 'boolean') {
      findings.push(`${path}: a bare boolean schema`);
      continue;
    }
    const record = node as Schema;
    if (Array.isArray(record.type)) findings.push(`${path}: type is an array`);
    if (typeof record.$ref === 'string' && !record.$ref.startsWith('#'))
      findings.push(`${path}: remote $ref`);
    if (!CONSTRAINING.some((key) => key in record)) findings.push(`${path}: constrains nothing`);
  }
  return findings;
}

function inputKeywordsOutsideCore(schema: unknown): string[] {
  const found: string[] = [];
  for (const [path, node] of subschemas(schema)) {
    for (const key of Object.keys(node as Schema)) {
      if (!PORTABLE_INPUT_KEYWORDS.has(key)) found.push(`${path}.${key}`);
    }
  }
  return found;
}

const modelReads = (tool: Tool) =>
  tool.name.length + (tool.description ?? '').length + JSON.stringify(tool.inputSchema).length;

let listed: Tool[];
beforeAll(async () => {
  const app = createServer(loadConfig({ SOLARPROOF_AUDIT_LOG: 'off' }, []), { logger: silentLogger });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'catalogue-check', version: '1.0.0' });
  await Promise.all([app.server.connect(serverSide), client.connect(clientSide)]);
  listed = (await client.listTools()).tools;
  await client.close();
  await app.close();
});

describe('the tool catalogue', () => {
  it('publishes exactly the catalogue, each tool as describeTool makes it', () => {
    expect(listed.map((tool) => tool.name)).toEqual(TOOLS.map((tool) => tool.name));
    for (const tool of TOOLS) expect(listed.find((t) => t.name === tool.name)).toEqual(describeTool(tool));
  });

  it.each(TOOLS.map((tool) => [tool.name]))('%s: named, titled, described and annotated', (name) => {
    const tool = listed.find((t) => t.name === name) as Tool;
    expect(tool.name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(tool.title?.trim()).toBeTruthy();
    expect(tool.description?.trim()).toBeTruthy();
    const hints = tool.annotations ?? {};
    for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
      expect(typeof hints[hint], `${name}.${hint}`).toBe('boolean');
    }
    // A read changes nothing, so it can neither destroy nor differ when repeated.
    if (hints.readOnlyHint) expect(hints).toMatchObject({ destructiveHint: false, idempotentHint: true });
    // Every tool talks to Solar Proof, but list_updates, which reads only the local audit log.
    expect(hints.openWorldHint, 'openWorldHint').toBe(name !== 'list_updates');
  });

  it('each tool says exactly what it may do', () => {
    // A host decides from these whether to ask the user first: an update and an undo overwrite
    // values (repeating one changes nothing more); the reads change nothing.
    const expected: Record<string, Record<string, boolean>> = {
      get_customer: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      find_customers: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: true,
      },
      update_customer: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: true,
      },
      list_updates: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      undo_update: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    };
    expect(Object.keys(expected).sort()).toEqual(listed.map((tool) => tool.name).sort());
    for (const tool of listed) {
      const { title: _title, ...hints } = tool.annotations ?? {};
      expect(hints, tool.name).toEqual(expected[tool.name]);
    }
  });

  it.each(TOOLS.map((tool) => [tool.name]))('%s: input schema in the portable core', (name) => {
    const tool = listed.find((t) => t.name === name) as Tool;
    expect(tool.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(inputKeywordsOutsideCore(tool.inputSchema)).toEqual([]);
    expect(portabilityFindings(tool.inputSchema)).toEqual([]);
  });

  it.each(TOOLS.map((tool) => [tool.name]))('%s: output schema strict and portable', (name) => {
    const tool = listed.find((t) => t.name === name) as Tool;
    const output = tool.outputSchema as Schema;
    expect(output).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys(output.properties as Schema)).toEqual(
      expect.arrayContaining(['ok', 'mode', 'message']),
    );
    expect(portabilityFindings(output)).toEqual([]);
  });

  it.each(TOOLS.map((tool) => [tool.name]))('%s: within its budget of what a model reads', (name) => {
    const tool = listed.find((t) => t.name === name) as Tool;
    expect(modelReads(tool)).toBeLessThanOrEqual(TOOL_BUDGETS[name] ?? TOOL_BUDGET);
  });

  it('the whole catalogue within its budget, whatever tools it grows to', () => {
    const total = listed.reduce((sum, tool) => sum + modelReads(tool), 0);
    expect(total).toBeLessThanOrEqual(CATALOGUE_BUDGET);
  });
});

describe('the portability check itself', () => {
  it('finds what the Inspector finds', () => {
    expect(portabilityFindings({ type: ['string', 'null'] })).toEqual([': type is an array']);
    expect(portabilityFindings({ type: 'object', properties: { a: {} } })).toEqual([
      '.properties.a: constrains nothing',
    ]);
    expect(portabilityFindings({ anyOf: [{ $ref: 'https://example.com/s.json' }] })).toEqual([
      '.anyOf[0]: remote $ref',
    ]);
    expect(inputKeywordsOutsideCore({ type: 'string', pattern: '^a$', exclusiveMinimum: 0 })).toEqual([
      '.pattern',
      '.exclusiveMinimum',
    ]);
  });
});
