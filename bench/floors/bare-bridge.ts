/**
 * The per-call floor: stdio JSON-RPC lines in, the same Solar Proof requests with undici, the answer
 * out. No SDK and no zod, no argument checks: what any stdio-to-HTTP bridge must do at the least.
 * Answers initialize, tools/list, tools/call and ping; the requests per tool come from BENCH_PLAN.
 */
import { toolResult, upstreamFromEnv } from './upstream.js';

const { plan, run } = upstreamFromEnv('solarproof-bench/bridge');

interface Message {
  id?: string | number;
  method?: string;
  params?: { protocolVersion?: string; name?: string; arguments?: Record<string, unknown> };
}

function send(message: object): void {
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
}

async function answer(message: Message): Promise<void> {
  const { id, method, params } = message;
  if (id === undefined) return; // a notification
  switch (method) {
    case 'initialize':
      return send({
        id,
        result: {
          protocolVersion: params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: 'bare-bridge', version: '1.0.0' },
        },
      });
    case 'ping':
      return send({ id, result: {} });
    case 'tools/list':
      return send({
        id,
        result: { tools: Object.keys(plan).map((name) => ({ name, inputSchema: { type: 'object' } })) },
      });
    case 'tools/call': {
      const name = params?.name ?? '';
      const steps = plan[name];
      if (!steps) return send({ id, error: { code: -32602, message: `Unknown tool: ${name}` } });
      try {
        return send({ id, result: toolResult(name, await run(steps, params?.arguments ?? {})) });
      } catch (error) {
        return send({ id, result: { content: [{ type: 'text', text: String(error) }], isError: true } });
      }
    }
    default:
      return send({ id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line.trim() !== '') void answer(JSON.parse(line) as Message);
  }
});
process.stdin.on('end', () => process.exit(0));
