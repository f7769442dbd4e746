/**
 * The built server lists the tools build.mjs converted at build time (so its first tools/list runs
 * no schema conversion); that list must be exactly what describeTool makes of every tool in TOOLS
 * now, or the bundle would publish schemas that no longer match what the tools accept.
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

  it('is in the bundle, so the first tools/list converts nothing', () => {
    // The entry and the chunks it imports statically: everything that loads at start-up.
    const entry = readFileSync(SERVER_ENTRY, 'utf8');
    const chunks = [...entry.matchAll(/from"\.\/(chunks\/[^"]+\.js)"/g)].map((m) =>
      readFileSync(join(dirname(SERVER_ENTRY), m[1] as string), 'utf8'),
    );
    const bundle = [entry, ...chunks].join('\n');
    const description = JSON.stringify(describeTool(TOOLS[0]!).inputSchema).slice(0, 60);
    expect(bundle).toContain(description);
  });
});
