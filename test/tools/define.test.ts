/** The one wrapper every tool runs in: what it does with arguments, results and errors. */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { noAudit } from '../../src/audit/log.js';
import { loadConfig } from '../../src/config.js';
import { ToolError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import { defineTool, errorFields, resultFields, runTool, type ToolContext } from '../../src/tools/define.js';

const context: ToolContext = {
  config: loadConfig({}, []),
  mode: 'live',
  logger: silentLogger,
  redact: createRedactor(['secret-key-1234']),
  audit: noAudit,
  keyId: undefined,
  client() {
    throw new Error('not used');
  },
  get customers(): never {
    throw new Error('not used');
  },
};
const extra = { signal: new AbortController().signal };

function tool(handler: () => Promise<{ summary: string; data: Record<string, unknown> }>) {
  return defineTool({
    name: 'probe',
    title: 'Probe',
    description: 'A tool for testing the wrapper.',
    inputSchema: z.strictObject({ n: z.int() }),
    outputSchema: z.strictObject({ ...resultFields, value: z.int().optional(), ...errorFields }),
    annotations: {
      title: 'Probe',
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
    handler: handler as never,
  });
}

describe('runTool', () => {
  it('returns structuredContent and the same data as text, with the secret redacted', async () => {
    const result = await runTool(
      tool(async () => ({ summary: 'done secret-key-1234', data: { message: 'ok', value: 1 } })),
      { n: 1 },
      context,
      extra,
    );
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ ok: true, mode: 'live', message: 'ok', value: 1 });
    const text = (result.content[0] as { text: string }).text;
    expect(text.split('\n')[0]).toBe('done [REDACTED]');
    expect(JSON.parse(text.slice(text.indexOf('\n') + 1))).toEqual(result.structuredContent);
  });

  it('turns a success that breaks the output schema into a clear INTERNAL error', async () => {
    const result = await runTool(
      tool(async () => ({ summary: 'x', data: { message: 'ok', stray: true } })),
      { n: 1 },
      context,
      extra,
    );
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ ok: false, code: 'INTERNAL' });
  });

  it('turns a thrown ToolError into an isError result with its code and hint', async () => {
    const result = await runTool(
      tool(async () => {
        throw new ToolError('TIMEOUT', 'too slow');
      }),
      { n: 1 },
      context,
      extra,
    );
    expect(result).toMatchObject({
      isError: true,
      structuredContent: { ok: false, code: 'TIMEOUT', retryable: true, message: 'too slow' },
    });
  });

  it('turns any other throw into INTERNAL without exposing it', async () => {
    const result = await runTool(
      tool(async () => {
        throw new TypeError('undefined is not a function at secret-key-1234');
      }),
      { n: 1 },
      context,
      extra,
    );
    expect(result.structuredContent).toMatchObject({ ok: false, code: 'INTERNAL' });
    expect(JSON.stringify(result)).not.toContain('secret-key-1234');
  });

  it('refuses bad arguments before the handler runs, naming each field', async () => {
    let ran = false;
    const result = await runTool(
      tool(async () => {
        ran = true;
        return { summary: '', data: { message: '' } };
      }),
      { n: 'one', extra: 1 },
      context,
      extra,
    );
    expect(ran).toBe(false);
    expect(result.structuredContent).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
    expect(
      (result.structuredContent as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort(),
    ).toEqual(['extra', 'n']);
  });
});
