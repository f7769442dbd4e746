/**
 * The cold-start and memory floor, and the SDK's share of the per-call cost: the smallest MCP
 * server the SDK makes, with two tools, update_customer and get_customer, that make the same Solar
 * Proof requests with undici (BENCH_PLAN) and is bundled the way build.mjs bundles ours
 * (bench/floors/build.ts). It uses the SDK's low-level Server, as ours does, with literal input
 * schemas: no zod of its own and no schema conversion. undici is loaded on the first call, as ours
 * loads it after the handshake, so it is not part of the start-up floor.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const TOOLS = [
  {
    name: 'update_customer',
    description: 'Updates a Solar Proof customer.',
    inputSchema: {
      type: 'object' as const,
      properties: { pkcustomerid: { type: 'integer', minimum: 1 }, phone1: { type: 'string' } },
      required: ['pkcustomerid'],
    },
  },
  {
    name: 'get_customer',
    description: 'Reads a Solar Proof customer by email.',
    inputSchema: {
      type: 'object' as const,
      properties: { email: { type: 'string' } },
      required: ['email'],
    },
  },
];

const server = new Server(
  { name: 'minimal-sdk-server', version: '1.0.0' },
  {
    capabilities: { tools: {} },
    // As ours: no Ajv built for elicitation, which neither server uses.
    jsonSchemaValidator: {
      getValidator() {
        throw new Error('no elicitation');
      },
    },
  },
);

server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));

let upstream: Promise<typeof import('./upstream.js')> | undefined;
let floor: ReturnType<typeof import('./upstream.js')['upstreamFromEnv']> | undefined;

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  upstream ??= import('./upstream.js');
  const module = await upstream;
  floor ??= module.upstreamFromEnv('solarproof-bench/minimal-sdk-server');
  const { name } = request.params;
  const steps = TOOLS.some((tool) => tool.name === name) ? floor.plan[name] : undefined;
  if (!steps) throw new Error(`Unknown tool: ${name}`);
  try {
    return module.toolResult(name, await floor.run(steps, request.params.arguments ?? {}));
  } catch (error) {
    return { content: [{ type: 'text' as const, text: String(error) }], isError: true };
  }
});

await server.connect(new StdioServerTransport());
