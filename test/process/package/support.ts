/**
 * Helpers for the packaging tests: running the repository's own tools as processes, and connecting
 * the SDK's Client to a server started from a command line, as a host would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expectNoKey } from '../../helpers/harness.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs a command to completion; rejects (with its output) when it exits non-zero. */
export const run = promisify(execFile);

/** `node` resolves to the Node running the tests, as Claude Desktop resolves it to its own. */
export const NODE_PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);

export function tempFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `solarproof-${prefix}-`));
}

/** Every file under a folder, as sorted paths relative to it with forward slashes. */
export function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

export interface Launched {
  client: Client;
  stderr(): string;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** Closes the client and checks that the key appeared in no result and no log line. */
  close(): Promise<void>;
}

export async function launch(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<Launched> {
  const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe', ...(cwd ? { cwd } : {}) });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'solarproof-mcp-package-tests', version: '1.0.0' });
  await client.connect(transport);
  const results: string[] = [];
  return {
    client,
    stderr: () => stderr,
    async call(name, toolArgs) {
      const result = (await client.callTool({ name, arguments: toolArgs })) as CallToolResult;
      results.push(JSON.stringify(result));
      return result;
    },
    async close() {
      await client.close();
      for (const text of [...results, stderr]) expectNoKey(text);
    },
  };
}

/** The server's "ready" log line (JSON on stderr), once it has been written. */
export function readyLine(stderr: string): Record<string, unknown> {
  const line = stderr.split('\n').find((text) => text.includes('solarproof-mcp ready'));
  if (!line) throw new Error(`no ready line on stderr: ${stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}
