/**
 * The upstream work of one tool call, as a parameter: the list of Solar Proof requests the server
 * under test makes for that tool (the benchmark reads them off the sandbox), replayed with undici
 * by the bare bridge, the minimal SDK server and the benchmark's direct side, so every ratio
 * compares the same upstream work.
 */
import { Agent, request } from 'undici';

/** One upstream request: its method, its query without the key, and whether it carries a body. */
export interface UpstreamStep {
  method: 'GET' | 'POST' | 'PUT';
  query: Record<string, string>;
  /** A write: `{"data": {apikey, action, ...the tool's arguments}}`, as Solar Proof's writes take it. */
  body: boolean;
}

/** Tool name → the requests one call of it makes, in order. */
export type Plan = Record<string, UpstreamStep[]>;

export interface UpstreamOptions {
  baseUrl: string;
  apiKey: string;
  userAgent: string;
  timeoutMs?: number;
}

/** Runs one call's requests in order; resolves to the last answer's JSON, rejects on any error answer. */
export type RunSteps = (steps: readonly UpstreamStep[], args: Record<string, unknown>) => Promise<unknown>;

export function createUpstream(options: UpstreamOptions): { run: RunSteps; close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  const base = new URL(options.baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const endpoint = new URL('apidata.php', base);

  const run: RunSteps = async (steps, args) => {
    let last: unknown;
    for (const step of steps) {
      const url = new URL(endpoint);
      url.searchParams.set('api_key', options.apiKey);
      for (const [name, value] of Object.entries(step.query)) url.searchParams.set(name, value);
      const body = step.body
        ? JSON.stringify({ data: { apikey: options.apiKey, action: step.query.action, ...args } })
        : undefined;
      const response = await request(url, {
        method: step.method,
        dispatcher: agent,
        headers: {
          accept: 'application/json',
          'user-agent': options.userAgent,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const parsed: unknown = JSON.parse(await response.body.text());
      const isError = typeof parsed === 'object' && parsed !== null && 'code' in parsed;
      if (response.statusCode !== 200 || isError) {
        throw new Error(
          `${step.query.action}: HTTP ${response.statusCode} ${JSON.stringify(parsed).slice(0, 200)}`,
        );
      }
      last = parsed;
    }
    return last;
  };
  return { run, close: () => agent.close() };
}

/** The plan a floor process was given (BENCH_PLAN, JSON), and its upstream from the server's own variables. */
export function upstreamFromEnv(userAgent: string): { plan: Plan; run: RunSteps } {
  const plan = JSON.parse(process.env.BENCH_PLAN ?? '{}') as Plan;
  const { run } = createUpstream({
    baseUrl: process.env.SOLARPROOF_BASE_URL ?? '',
    apiKey: process.env.SOLARPROOF_API_KEY ?? '',
    userAgent,
  });
  return { plan, run };
}

/** The result both floors answer with: a summary line, then the data as JSON, as our tools do. */
export function toolResult(tool: string, upstream: unknown) {
  const data = { ok: true, message: `${tool} done`, upstream };
  return {
    content: [{ type: 'text' as const, text: `${data.message}\n${JSON.stringify(data)}` }],
    structuredContent: data,
  };
}
