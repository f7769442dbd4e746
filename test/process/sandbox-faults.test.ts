/**
 * SOLARPROOF_SANDBOX_FAULTS end to end: the built server in sandbox mode with each fault switched
 * on, driven through the SDK Client as a host would, so a user can trust what they will watch.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer, structured } from '../helpers/harness.js';

function useSandboxServer(faults: string, extra: Record<string, string> = {}): () => ServerProcess {
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    server = await startServer({ SOLARPROOF_SANDBOX: '1', SOLARPROOF_SANDBOX_FAULTS: faults, ...extra });
  });
  afterAll(async () => {
    await server?.close();
    for (const result of server?.results ?? [])
      expect(JSON.parse(result).structuredContent.mode).toBe('sandbox');
  });
  return () => {
    if (!server) throw new Error('the server did not start');
    return server;
  };
}

const customerOf = (result: CallToolResult) => structured(result).customer as Record<string, unknown>;

describe('slow-updates', () => {
  // A short deadline, so the test does not wait out the default one.
  const server = useSandboxServer('slow-updates', { SOLARPROOF_TIMEOUT_MS: '1500' });

  it('the update times out, yet the change was made: the outcome is uncertain to the client', async () => {
    const updated = await server().callTool('update_customer', {
      pkcustomerid: 80125,
      phone1: '0400 123 456',
    });
    expect(updated.isError).toBe(true);
    expect(structured(updated)).toMatchObject({ ok: false, code: 'TIMEOUT' });
    const read = await server().callTool('get_customer', { email: 'mei.chen@example.net' });
    expect(customerOf(read)).toMatchObject({ pkcustomerid: 80125, phone1: '0400 123 456' });
  });

  it('lookups answer as usual', async () => {
    const read = await server().callTool('get_customer', { email: 'john.smith@example.com' });
    expect(structured(read)).toMatchObject({ ok: true, customer: { pkcustomerid: 79461 } });
  });
});

describe('refuse-id-lookups', () => {
  const server = useSandboxServer('refuse-id-lookups');

  it('get_customer by id gets not-found from both id forms; by email it still finds the customer', async () => {
    const byId = await server().callTool('get_customer', { pkcustomerid: 79461 });
    expect(byId.isError).toBe(true);
    expect(structured(byId)).toMatchObject({ ok: false, code: 'CUSTOMER_NOT_FOUND' });
    expect(structured(byId).message).toContain('asked both ways');
    const byEmail = await server().callTool('get_customer', { email: 'john.smith@example.com' });
    expect(customerOf(byEmail)).toMatchObject({ pkcustomerid: 79461, firstname: 'John' });
  });

  it('updates by id are still accepted', async () => {
    const updated = await server().callTool('update_customer', {
      pkcustomerid: 79461,
      phone2: '02 9000 1234',
    });
    expect(structured(updated)).toMatchObject({ ok: true, customerId: 79461 });
    const read = await server().callTool('get_customer', { email: 'john.smith@example.com' });
    expect(customerOf(read)).toMatchObject({ phone2: '02 9000 1234' });
  });
});

describe('ignore-fields', () => {
  const server = useSandboxServer('ignore-fields=phone1+email');

  it('the update is reported saved, but a lookup shows the ignored fields unchanged', async () => {
    const updated = await server().callTool('update_customer', {
      pkcustomerid: 79461,
      phone1: '0499 999 999',
      email: 'john.new@example.com',
      surname: 'Smyth',
    });
    expect(structured(updated)).toMatchObject({ ok: true, customerId: 79461 });
    const read = await server().callTool('get_customer', { email: 'john.smith@example.com' });
    expect(customerOf(read)).toMatchObject({
      surname: 'Smyth',
      phone1: '0412345678',
      email: 'john.smith@example.com',
    });
  });
});

describe('latency', () => {
  const LATENCY_MS = 400;
  const server = useSandboxServer(`latency=${LATENCY_MS}`, { SOLARPROOF_CACHE_TTL_SECONDS: '0' });

  it('every answer comes late: a lookup takes at least the latency', async () => {
    const started = performance.now();
    const read = await server().callTool('get_customer', { email: 'mei.chen@example.net' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(LATENCY_MS);
    expect(structured(read)).toMatchObject({ ok: true, customer: { pkcustomerid: 80125 } });
  });

  it('find_customers reads its pages late, and reports progress while it does', async () => {
    const delivered: unknown[] = [];
    const started = performance.now();
    const result = (await server().client.callTool(
      { name: 'find_customers', arguments: { query: 'smith' } },
      undefined,
      { onprogress: (progress) => delivered.push(progress) },
    )) as CallToolResult;
    expect(performance.now() - started).toBeGreaterThanOrEqual(LATENCY_MS);
    expect(structured(result)).toMatchObject({ ok: true, scan: { pages: 3 } });
    // Three pages; the SDK Client may drop the last notification (see find-customers-scan.test.ts).
    expect(delivered.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a fault that cannot be read', () => {
  const server = useSandboxServer('slow-updates,latency=soon');

  it('makes every call a CONFIGURATION error naming the setting, as any bad setting does', async () => {
    const result = await server().callTool('get_customer', { email: 'john.smith@example.com' });
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ ok: false, code: 'CONFIGURATION' });
    expect(structured(result).message).toContain('SOLARPROOF_SANDBOX_FAULTS: latency takes a whole number');
  });
});
