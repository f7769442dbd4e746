/**
 * Every tool the server offers, and what tools/list publishes of each. The MCP handlers that list
 * and call them are in register.ts, which loads this module (and with it every tool and its
 * schemas) at the first call rather than at start-up.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { ToolDefinition } from './define.js';
import { findCustomersTool } from './find-customers.js';
import { getCustomerTool } from './get-customer.js';
import { listUpdatesTool } from './list-updates.js';
import { undoUpdateTool } from './undo-update.js';
import { updateCustomerTool } from './update-customer.js';

export const TOOLS: readonly ToolDefinition[] = [
  getCustomerTool,
  findCustomersTool,
  updateCustomerTool,
  listUpdatesTool,
  undoUpdateTool,
];

export function describeTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.inputSchema, 'input') as Tool['inputSchema'],
    outputSchema: jsonSchema(tool.outputSchema, 'output') as Tool['outputSchema'],
    annotations: tool.annotations,
  };
}

/**
 * zod 4's own converter (the deprecated zod-to-json-schema returns an empty schema for zod 4).
 * `$schema` is dropped: several model providers reject keys outside the portable core. zod writes a
 * nullable field as `type: ["string", "null"]`, which dialects with a single `type` (Gemini's
 * OpenAPI subset) reject, so each such union becomes `anyOf` branches of one type each.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io }) as Record<
    string,
    unknown
  >;
  return splitTypeUnions(rest) as Record<string, unknown>;
}

function splitTypeUnions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(splitTypeUnions);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = splitTypeUnions(value);
  }
  if (!Array.isArray(out.type)) return out;
  const { type, description, ...constraints } = out as { type: string[]; description?: unknown };
  return {
    anyOf: type.map((one) => (one === 'null' ? { type: one } : { type: one, ...constraints })),
    ...(description === undefined ? {} : { description }),
  };
}
