/**
 * The built server lists the tools build.mjs converted at build time (so its first tools/list runs
 * no schema conversion); that list must be exactly what describeTool makes of every tool in TOOLS
 * now, or the bundle would publish schemas that no longer match what the tools accept. And what
 * start-up loads holds none of the tools: they come in a chunk of their own at the first call.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTool, TOOLS } from '../../src/tools/catalog.js';
import { envFor, SERVER_ENTRY, type ServerProcess, startServer, startStandIn } from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
beforeAll(async () => {
  standIn = await startStandIn();
  server = await startServer(envFor(standIn));
});
afterAll(async () => {
  await server?.close();
  await standIn?.close();
});

describe('the tool list built into the bundle', () => {
  it('is exactly the live conversion of every tool in TOOLS', async () => {
    const { tools } = await server.client.listTools();
    expect(tools).toEqual(TOOLS.map(describeTool));
  });

  it('is in what start-up loads, so the first tools/list converts nothing', () => {
    const description = JSON.stringify(describeTool(TOOLS[0]!).inputSchema).slice(0, 60);
    expect(loadedAtStart()).toContain(description);
  });
});

/** The entry and every chunk it imports statically, transitively: what loads before initialize. */
function loadedAtStart(): string {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, path] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*"(\.\.?\/[^"]+)"/g)) {
      visit(join(dirname(file), path as string));
    }
  };
  visit(SERVER_ENTRY);
  return [...seen].map((file) => readFileSync(file, 'utf8')).join('\n');
}

describe('what start-up loads', () => {
  it('has the protocol but none of the tools, which load at the first call', async () => {
    const text = loadedAtStart();
    expect(text).toContain('notifications/initialized');
    // runTool's refusal of bad arguments, and the update tool's own words.
    expect(text).not.toContain('Invalid arguments for ');
    expect(text).not.toContain('does not have the values expected');
    const result = await server.client.callTool({
      name: 'get_customer',
      arguments: { email: 'john.smith@example.com' },
    });
    expect(result.isError).toBeFalsy();
  });
});
