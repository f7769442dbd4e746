/**
 * Every tool the server offers, and the two MCP handlers that list and call them. The catalog uses
 * the SDK's low-level Server rather than McpServer.registerTool because McpServer answers invalid
 * arguments with plain text before the handler runs; here they become INVALID_ARGUMENTS results
 * with a code, per-field issues and a hint, like every other failure.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { CallsInFlight } from '../lifecycle.js';
import { type CallExtra, runTool, type ToolContext, type ToolDefinition } from './define.js';
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

/**
 * TOOLS as tools/list publishes them, converted by build.mjs (JSON text, parsed at the first
 * tools/list), so the first list runs no schema conversion; undefined when running from source.
 */
declare const __SOLARPROOF_TOOL_LIST__: string | undefined;
const BUILT_TOOL_LIST = typeof __SOLARPROOF_TOOL_LIST__ === 'string' ? __SOLARPROOF_TOOL_LIST__ : undefined;

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

export interface CatalogOptions {
  tools?: readonly ToolDefinition[];
  /** Where calls are tracked for shutdown; shared when several servers serve one process. */
  calls?: CallsInFlight;
  /**
   * Refuse every request but ping until initialize has been answered, as the MCP lifecycle says.
   * Default true; off for a transport that serves each request alone, with no session to initialize.
   */
  requireInitialize?: boolean;
}

export function registerTools(server: Server, context: ToolContext, options: CatalogOptions = {}): void {
  const { tools = TOOLS, calls = new CallsInFlight(), requireInitialize = true } = options;
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const checkInitialized = (method: string) => {
    // The SDK records the client's info when it answers initialize, and not before.
    if (requireInitialize && server.getClientVersion() === undefined) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `${method} before initialize: send initialize first and wait for its answer (only ping is served before it).`,
      );
    }
  };

  server.setRequestHandler(ListToolsRequestSchema, () => {
    checkInitialized('tools/list');
    return { tools: listedTools(tools) };
  });

  server.setRequestHandler(CallToolCarryingRawArguments, (request, extra) => {
    checkInitialized('tools/call');
    const tool = byName.get(request.params.name);
    if (!tool) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool "${request.params.name}". Available: ${[...byName.keys()].join(', ')}.`,
      );
    }
    if (!calls.accepting) {
      throw new McpError(
        ErrorCode.ConnectionClosed,
        `The server is shutting down and takes no new calls: ${tool.name} was not run and nothing was sent to Solar Proof. Call it again once the host has restarted the server.`,
      );
    }
    return calls.run(extra.signal, (signal) =>
      runTool(tool, request.params.arguments, context, { signal, ...progressFor(extra) }),
    );
  });
}

/** A way to report progress, only when the client sent a progressToken (MCP sends none otherwise). */
function progressFor(extra: {
  _meta?: { progressToken?: string | number } | undefined;
  sendNotification: (notification: ServerNotification) => Promise<void>;
}): Pick<CallExtra, 'progress'> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return {};
  return {
    progress: (progress, total, message) =>
      extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress, ...(total === undefined ? {} : { total }), message },
      }),
  };
}

/**
 * Described once per list of tools, not once per server: stateless HTTP builds a server for every
 * request, and converting the schemas is most of what answering tools/list costs.
 */
const described = new WeakMap<readonly ToolDefinition[], Tool[]>();
function listedTools(tools: readonly ToolDefinition[]): Tool[] {
  let listed = described.get(tools);
  if (!listed) {
    // The bundle carries the catalogue as build.mjs converted it, so start-up runs no z.toJSONSchema.
    listed =
      tools === TOOLS && BUILT_TOOL_LIST !== undefined
        ? (JSON.parse(BUILT_TOOL_LIST) as Tool[])
        : tools.map(describeTool);
    described.set(tools, listed);
  }
  return listed;
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
