/**
 * What a tool is (one definition per file under tools/) and the one wrapper that runs it: validate
 * the arguments, call the handler, and turn whatever happens into a CallToolResult that carries
 * both structuredContent and the same data as text, with every thrown error made an isError result.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { AuditSink } from '../audit/log.js';
import type { Config } from '../config.js';
import {
  type ArgumentIssue,
  asToolError,
  ERROR_CATALOG,
  ERROR_CODES,
  type ErrorCode,
  ToolError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact.js';
import type { SolarProofClient } from '../solarproof/client.js';
import type { CustomerDirectory } from '../solarproof/customer-directory.js';
import { cleanUpstreamText } from '../solarproof/errors.js';

export type Mode = 'live' | 'sandbox';

/** What every handler may use, built once per server. */
export interface ToolContext {
  readonly config: Config;
  readonly mode: Mode;
  readonly logger: Logger;
  readonly redact: Redactor;
  readonly audit: AuditSink;
  /** The API key's short fingerprint, stored in audit records so history is scoped to the key. */
  readonly keyId: string | undefined;
  /** Throws a CONFIGURATION error when the server cannot make live calls, so handlers need no checks. */
  client(): SolarProofClient;
  /** Lookups by email, id and project, the search scan, and the state they share per process. */
  readonly customers: CustomerDirectory;
}

export interface CallExtra {
  signal: AbortSignal;
  /**
   * Present only when the client asked for progress (sent a progressToken): sends one
   * notifications/progress. `progress` must grow from one call to the next.
   */
  progress?: (progress: number, total: number | undefined, message: string) => Promise<void>;
}

export interface ToolSuccess<T> {
  /** One line a person can read; the full data follows it as JSON in the text block. */
  summary: string;
  data: T;
}

/** What a handler returns on success: the output schema's fields, less the ones the wrapper adds. */
export type SuccessData<Output extends z.ZodObject> = Omit<z.input<Output>, 'ok' | 'mode'>;

/** MCP's tool annotations, every one stated: a host must not have to guess what a tool may do. */
export interface Annotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** A tool's own advice per error code, where it differs from the catalogue's (a lookup is not an update). */
export type Hints = Partial<Record<ErrorCode, string>>;

export interface ToolDefinition<
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodObject = z.ZodObject,
> {
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: Annotations;
  /** Advice the wrapper gives on failure; a function when it depends on the arguments. */
  hints?: Hints | ((args: z.output<Input>) => Hints);
  handler(
    args: z.output<Input>,
    context: ToolContext,
    extra: CallExtra,
  ): Promise<ToolSuccess<SuccessData<Output>>>;
}

/** Ties a tool's handler types to its schemas; the catalog then holds them all as one type. */
export function defineTool<Input extends z.ZodType, Output extends z.ZodObject>(
  tool: ToolDefinition<Input, Output>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

/**
 * The fields every result carries, success or failure. The SDK client validates structuredContent
 * against outputSchema on errors too, so each tool's output schema is one object whose
 * outcome-specific fields are optional: `ok` tells which set is present.
 */
export const resultFields = {
  ok: z
    .boolean()
    .describe('true when the call did what was asked; false when it failed (see code and hint).'),
  mode: z
    .enum(['live', 'sandbox'])
    .describe(
      '"sandbox" when the server runs against its built-in sandbox Solar Proof: no real data was read or changed.',
    ),
  message: z
    .string()
    .describe('What happened, in one sentence; on failure Solar Proof’s own message where it sent one.'),
};

export const errorFields = {
  code: z
    .enum(ERROR_CODES as [string, ...string[]])
    .optional()
    .describe('On failure: a stable error code to branch on (see the README’s table).'),
  retryable: z.boolean().optional().describe('On failure: whether calling again, unchanged, can succeed.'),
  hint: z.string().optional().describe('On failure: what to do next.'),
  httpStatus: z
    .int()
    .optional()
    .describe('On failure: the HTTP status Solar Proof answered with, if it answered.'),
  upstreamCode: z
    .string()
    .optional()
    .describe('On failure: Solar Proof’s error code when it is not one it documents.'),
  retryAfterSeconds: z
    .number()
    .optional()
    .describe('On RATE_LIMITED or UPSTREAM_UNAVAILABLE: how long Solar Proof asked callers to wait.'),
  issues: z
    .array(z.strictObject({ path: z.string(), message: z.string() }))
    .optional()
    .describe('On INVALID_ARGUMENTS: each argument that was refused and why.'),
  attempts: z.int().optional().describe('How many HTTP attempts were made (retries included).'),
};

export async function runTool(
  tool: ToolDefinition,
  rawArgs: unknown,
  context: ToolContext,
  extra: CallExtra,
): Promise<CallToolResult> {
  const started = performance.now();
  let args: unknown;
  try {
    const parsed = tool.inputSchema.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const issues = describeIssues(parsed.error, context.redact);
      throw new ToolError(
        'INVALID_ARGUMENTS',
        `Invalid arguments for ${tool.name}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}.`,
        { issues },
      );
    }
    args = parsed.data;
    const { summary, data } = await tool.handler(parsed.data, context, extra);
    const output = { ok: true, mode: context.mode, ...data };
    // The SDK client rejects a result that breaks the published schema; fail here, clearly, instead.
    const checked = tool.outputSchema.safeParse(output);
    if (!checked.success) {
      throw new ToolError('INTERNAL', `${tool.name} produced a result that breaks its output schema.`, {
        cause: checked.error,
      });
    }
    context.logger.info('tool call succeeded', { tool: tool.name, durationMs: elapsed(started) });
    return render(context, summary, output, false);
  } catch (error) {
    const failure = asToolError(error);
    const log = failure.code === 'INTERNAL' ? context.logger.error : context.logger.warn;
    log('tool call failed', {
      tool: tool.name,
      code: failure.code,
      error: failure.message,
      durationMs: elapsed(started),
      ...(failure.code === 'INTERNAL' ? { cause: String(failure.cause ?? error) } : {}),
    });
    const hint =
      failure.details.hint ?? hintsFor(tool, args)[failure.code] ?? ERROR_CATALOG[failure.code].hint;
    let data: Record<string, unknown> = errorData(context, failure.with({ hint }), context.redact);
    // The SDK client validates error results against the output schema too; never send one it rejects.
    if (!tool.outputSchema.safeParse(data).success) {
      context.logger.error('error result breaks the output schema', { tool: tool.name, code: failure.code });
      const internal = new ToolError('INTERNAL', failure.message);
      data = errorData(context, internal.with({ hint: ERROR_CATALOG.INTERNAL.hint }), context.redact);
    }
    return render(context, `${tool.name} failed: ${data.code}. ${data.message}`, data, true);
  }
}

/** Longest message an error result carries; upstream text is already cut shorter (500). */
const ERROR_MESSAGE_MAX = 4_000;

/** A failure as a result: its code, what the catalogue says of it, and every detail it carries. */
function errorData(
  context: Pick<ToolContext, 'mode'>,
  failure: ToolError,
  redact: Redactor = (text) => text,
) {
  const { data, retryable: _decided, ...details } = failure.details;
  return {
    // The tool's own explanation first, so no field of it can stand in for the common ones.
    ...data,
    ok: false,
    mode: context.mode,
    message: cleanUpstreamText(redact(failure.message), ERROR_MESSAGE_MAX),
    code: failure.code,
    retryable: failure.retryable,
    hint: ERROR_CATALOG[failure.code].hint,
    ...details,
  };
}

function hintsFor(tool: ToolDefinition, args: unknown): Hints {
  if (typeof tool.hints !== 'function') return tool.hints ?? {};
  // Before the arguments are valid there is nothing to fit the advice to.
  return args === undefined ? {} : tool.hints(args);
}

const PRETTY_JSON_MAX = 8_000;

function render(
  context: ToolContext,
  summary: string,
  data: Record<string, unknown>,
  isError: boolean,
): CallToolResult {
  // Redaction is the last step, over the finished JSON, so no path into a result can carry the key.
  // When it changes nothing (the usual case) the data is already what the JSON says: no reparse.
  const json = JSON.stringify(data);
  const redacted = context.redact(json);
  const structured = redacted === json ? data : (JSON.parse(redacted) as Record<string, unknown>);
  const sandboxNote = context.mode === 'sandbox' ? ' [SANDBOX: simulated Solar Proof, no real data]' : '';
  // Pretty JSON reads well but grows with nesting depth; past a few kilobytes compact is kinder.
  const compact = redacted === json ? json : JSON.stringify(structured);
  const body = compact.length <= PRETTY_JSON_MAX ? JSON.stringify(structured, null, 2) : compact;
  // The summary must stay one line, or clients that split off the JSON misread the block. It is
  // redacted before it is cut: a key cut in half is no longer recognised, and its first half would show.
  const text = `${cleanUpstreamText(context.redact(summary), 1_000)}${sandboxNote}\n${body}`;
  return {
    content: [{ type: 'text', text }],
    structuredContent: structured,
    ...(isError ? { isError: true } : {}),
  };
}

/** An error answer stays small whatever the input: 10,000 unknown keys must not become megabytes. */
const ISSUES_MAX = 20;
const KEYS_LISTED_MAX = 10;
const ISSUE_PATH_MAX = 120;
const ISSUE_MESSAGE_MAX = 300;

/**
 * zod's issues as the result's `issues`: at most ISSUES_MAX, then one entry counting the rest;
 * each path and message cut to length. Argument names come from the caller and could be anything
 * (the key itself, a mebibyte of text), so each is redacted before it is cut.
 */
function describeIssues(error: z.ZodError, redact: Redactor): ArgumentIssue[] {
  const bound = (text: string, max: number) => cleanUpstreamText(redact(text), max);
  const issues = error.issues.slice(0, ISSUES_MAX).map((issue): ArgumentIssue => {
    if (issue.code === 'unrecognized_keys') {
      const listed = issue.keys.slice(0, KEYS_LISTED_MAX).map((key) => bound(key, ISSUE_PATH_MAX));
      const more = issue.keys.length - listed.length;
      return {
        path: `${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
        message: `not an argument of this tool (allowed: see the input schema); remove ${issue.keys.length > 1 ? 'them' : 'it'}`,
      };
    }
    return {
      path: bound(issue.path.map(String).join('.'), ISSUE_PATH_MAX),
      message: bound(issue.message, ISSUE_MESSAGE_MAX),
    };
  });
  const more = error.issues.length - issues.length;
  if (more > 0) {
    issues.push({ path: '', message: `and ${more} more issues not listed; fix the ones above first` });
  }
  return issues;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
