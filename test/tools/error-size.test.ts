/**
 * Issue 7, item 7: an error answer is bounded whatever the arguments. A call with 10,000 unknown
 * keys used to get a 1.96 MB INVALID_ARGUMENTS answer (every key echoed three times). Here the
 * wrapper itself, with a schema that yields one issue per element, so the issue cap is reached.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { noAudit } from '../../src/audit/log.js';
import { loadConfig } from '../../src/config.js';
import { ToolError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import { defineTool, errorFields, resultFields, runTool, type ToolContext } from '../../src/tools/define.js';
import { updateCustomerTool } from '../../src/tools/update-customer.js';
import { expectNoKey, SENTINEL_KEY } from '../helpers/harness.js';

const context: ToolContext = {
  config: loadConfig({}, []),
  mode: 'live',
  logger: silentLogger,
  redact: createRedactor([SENTINEL_KEY]),
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

const listTool = (
  handler = async (): Promise<never> => {
    throw new Error('not reached');
  },
) =>
  defineTool({
    name: 'probe',
    title: 'Probe',
    description: 'A tool for testing the wrapper.',
    inputSchema: z.strictObject({ values: z.array(z.int()) }),
    outputSchema: z.strictObject({ ...resultFields, ...errorFields }),
    annotations: {
      title: 'Probe',
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
    handler: handler as never,
  });

const size = (result: unknown) => Buffer.byteLength(JSON.stringify(result));

describe('the size of an INVALID_ARGUMENTS answer', () => {
  it('5,000 wrong values: the first 20 issues and one that counts the rest', async () => {
    const result = await runTool(
      listTool(),
      { values: Array.from({ length: 5_000 }, (_, i) => `v${i}`) },
      context,
      extra,
    );
    const data = result.structuredContent as {
      code: string;
      issues: Array<{ path: string; message: string }>;
      message: string;
    };
    expect(data.code).toBe('INVALID_ARGUMENTS');
    expect(data.issues).toHaveLength(21);
    expect(data.issues[0]?.path).toBe('values.0');
    expect(data.issues[20]).toEqual({
      path: '',
      message: 'and 4980 more issues not listed; fix the ones above first',
    });
    expect(data.message).toMatch(/and 4980 more issues not listed/);
    expect(size(result)).toBeLessThan(12_000);
  });

  it('10,000 unknown keys of update_customer: ten named, the rest counted', async () => {
    const args: Record<string, unknown> = { pkcustomerid: 79461 };
    for (let i = 0; i < 10_000; i++) args[`unknown_argument_${i}`] = i;
    const result = await runTool(updateCustomerTool, args, context, extra);
    expect(size(result)).toBeLessThan(8_000);
    const issues = (result.structuredContent as { issues: Array<{ path: string }> }).issues;
    expect(issues).toHaveLength(2);
    expect(issues[0]?.path.split(', ')).toHaveLength(10);
    expect(issues[0]?.path).toMatch(/ and 9990 more$/);
  });

  it('a key name holding the API key is redacted before it is cut', async () => {
    // Placed so that a cut at 120 characters would keep "spk_LEAKCHECK&k+e=".
    const name = `${'x'.repeat(100)}${SENTINEL_KEY}`;
    const result = await runTool(updateCustomerTool, { pkcustomerid: 79461, [name]: 1 }, context, extra);
    expectNoKey(JSON.stringify(result));
    const issues = (result.structuredContent as { issues: Array<{ path: string }> }).issues;
    expect(issues[0]?.path).toBe(`${'x'.repeat(100)}[REDACTED]`);
  });

  it('any error message is bounded, redacted before it is cut', async () => {
    const tool = listTool(async () => {
      throw new ToolError('UPSTREAM_ERROR', `${'u'.repeat(3_990)}${SENTINEL_KEY}${'u'.repeat(100_000)}`);
    });
    const result = await runTool(tool, { values: [1] }, context, extra);
    const data = result.structuredContent as { message: string };
    expect(data.message.length).toBeLessThanOrEqual(4_000);
    expectNoKey(JSON.stringify(result));
    expect(size(result)).toBeLessThan(12_000);
  });
});
