/**
 * The two MCP handlers that list and call the tools. They use the SDK's low-level Server rather
 * than McpServer.registerTool because McpServer answers invalid arguments with plain text before
 * the handler runs; here they become INVALID_ARGUMENTS results with a code, per-field issues and a
 * hint, like every other failure.
 *
 * What running a tool needs (runtime.ts: the catalogue, every tool's schemas, the Solar Proof
 * client) is loaded at the first tools/call, or just after the first tools/list has been answered,
 * not at start-up: the bundle answers tools/list from the conversion build.mjs made.
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
import type { CallExtra, ToolContext, ToolDefinition } from './define.js';

type Runtime = typeof import('./runtime.js');
let runtime: Runtime | undefined;
let loading: Promise<Runtime> | undefined;

/** Loads what running a tool needs, once; esbuild makes it a chunk of its own. */
export function loadRuntime(): Promise<Runtime> {
  loading ??= import('./runtime.js').then((loaded) => {
    runtime = loaded;
    return loaded;
  });
  return loading;
}

/** What running a tool needs, for code that runs inside a tool call (so after loadRuntime). */
export function loadedRuntime(): Runtime {
  if (runtime === undefined) throw new Error('The tools are not loaded yet: loadRuntime() comes first.');
  return runtime;
}

/**
 * The catalogue as tools/list publishes it, converted by build.mjs (JSON text, parsed at the first
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
  /** The tools to serve; by default the catalogue's TOOLS. */
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
  const { calls = new CallsInFlight(), requireInitialize = true } = options;
  const checkInitialized = (method: string) => {
    // The SDK records the client's info when it answers initialize, and not before.
    if (requireInitialize && server.getClientVersion() === undefined) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `${method} before initialize: send initialize first and wait for its answer (only ping is served before it).`,
      );
    }
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    checkInitialized('tools/list');
    return { tools: await listedTools(options.tools) };
  });

  server.setRequestHandler(CallToolCarryingRawArguments, async (request, extra) => {
    checkInitialized('tools/call');
    const { runTool } = await loadRuntime();
    const byName = toolsByName(options.tools);
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

// Described and indexed once per list of tools, not once per server: stateless HTTP builds a server
// for every request, and converting the schemas is most of what answering tools/list costs.
let catalogueListed: Tool[] | undefined;
const described = new WeakMap<readonly ToolDefinition[], Tool[]>();
const indexed = new WeakMap<readonly ToolDefinition[], Map<string, ToolDefinition>>();

async function listedTools(tools: readonly ToolDefinition[] | undefined): Promise<Tool[]> {
  if (tools === undefined && BUILT_TOOL_LIST !== undefined) {
    if (catalogueListed === undefined) {
      catalogueListed = JSON.parse(BUILT_TOOL_LIST) as Tool[];
      // A call usually follows a list: load the tools once this answer is on its way.
      setTimeout(() => void loadRuntime().catch(() => {}), 0);
    }
    return catalogueListed;
  }
  const { TOOLS, describeTool } = await loadRuntime();
  const list = tools ?? TOOLS;
  let listed = described.get(list);
  if (!listed) {
    listed = list.map(describeTool);
    described.set(list, listed);
  }
  return listed;
}

/** After loadRuntime. */
function toolsByName(tools: readonly ToolDefinition[] | undefined): Map<string, ToolDefinition> {
  const list = tools ?? loadedRuntime().TOOLS;
  let byName = indexed.get(list);
  if (!byName) {
    byName = new Map(list.map((tool) => [tool.name, tool]));
    indexed.set(list, byName);
  }
  return byName;
}
