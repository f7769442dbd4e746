/**
 * Every tool the server offers, and the two MCP handlers that list and call them. The catalog uses
 * the SDK's low-level Server rather than McpServer.registerTool because McpServer answers invalid
 * arguments with plain text before the handler runs; here they become INVALID_ARGUMENTS results
 * with a code, per-field issues and a hint, like every other failure.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, ListToolsRequestSchema, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { runTool, type ToolContext, type ToolDefinition } from './define.js';
import { getCustomerTool } from './get-customer.js';
import { updateCustomerTool } from './update-customer.js';

export const TOOLS: readonly ToolDefinition[] = [getCustomerTool, updateCustomerTool];

/**
 * tools/call as the SDK defines it, except that `arguments` is taken as sent. The SDK's own schema
 * reads it as a record, which silently drops an own "__proto__" key before a tool's strict schema
 * could refuse it; here every key reaches the tool's validation. (The SDK still checks the request
 * against its own schema too, so non-object arguments remain a JSON-RPC invalid-params error.)
 */
const CallToolCarryingRawArguments = z.object({
  method: z.literal('tools/call'),
  params: z.looseObject({ name: z.string(), arguments: z.unknown().optional() }),
});

export function registerTools(
  server: Server,
  context: ToolContext,
  tools: readonly ToolDefinition[] = TOOLS,
): void {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  let listed: Tool[] | undefined;

  server.setRequestHandler(ListToolsRequestSchema, () => {
    listed ??= tools.map(describeTool);
    return { tools: listed };
  });

  server.setRequestHandler(CallToolCarryingRawArguments, (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool "${request.params.name}". Available: ${[...byName.keys()].join(', ')}.`,
      );
    }
    return runTool(tool, request.params.arguments, context, { signal: extra.signal });
  });
}

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
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
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
