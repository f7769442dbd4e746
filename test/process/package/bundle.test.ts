/**
 * The Claude Desktop bundle (.mcpb): built by packaging/bundle.mjs with the official packer into a
 * temporary folder, unpacked with the packer's own `unpack`, validated with `mcpb validate`, and
 * started the way Claude Desktop starts it: the manifest's mcp_config with every variable
 * substituted by the packer library's getMcpConfigForManifest (the code Claude Desktop uses), then
 * driven with the SDK's Client. Nothing here reaches the internet: the live launches only list tools
 * and make calls that are refused before any request.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { McpbManifestAny } from '@anthropic-ai/mcpb';
import { getMcpConfigForManifest } from '@anthropic-ai/mcpb/node';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../../package.json' with { type: 'json' };
import { TOOLS } from '../../../src/tools/catalog.js';
import { readAudit } from '../../helpers/audit.js';
import { SENTINEL_KEY, structured } from '../../helpers/harness.js';
import { filesUnder, launch, NODE_PATH, ROOT, readyLine, run, tempFolder } from './support.js';

const MCPB_CLI = join(ROOT, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
/** Well above today's size (see README), low enough to notice a dependency or source maps creeping in. */
const MAX_BUNDLE_BYTES = 512 * 1024;

let work: string;
let bundle: string;
let installed: string;
let manifest: McpbManifestAny;

beforeAll(async () => {
  work = tempFolder('bundle');
  await run(process.execPath, ['packaging/bundle.mjs', '--out', work, '--stage', join(work, 'stage')], {
    cwd: ROOT,
  });
  bundle = join(work, `${pkg.name}-${pkg.version}.mcpb`);
  installed = join(work, 'installed');
  await run(process.execPath, [MCPB_CLI, 'unpack', bundle, installed]);
  manifest = JSON.parse(readFileSync(join(installed, 'manifest.json'), 'utf8')) as McpbManifestAny;
}, 60_000);

/** Starts the unpacked bundle as Claude Desktop would with these settings from its install dialog. */
async function startInstalled(userConfig: Record<string, string | boolean>) {
  const home = tempFolder('home');
  const config = await getMcpConfigForManifest({
    manifest,
    extensionPath: installed,
    systemDirs: {
      HOME: home,
      DESKTOP: join(home, 'Desktop'),
      DOCUMENTS: join(home, 'Documents'),
      DOWNLOADS: join(home, 'Downloads'),
    },
    userConfig,
    pathSeparator: sep,
  });
  if (!config) throw new Error('the host would not start the server with these settings');
  // A placeholder left unsubstituted would reach the server as a literal key or path.
  expect(JSON.stringify(config)).not.toContain('${');
  const env = { PATH: NODE_PATH, HOME: home, ...config.env };
  return { home, env: config.env ?? {}, server: await launch(config.command, config.args ?? [], env) };
}

async function listedNames(client: { listTools(): Promise<{ tools: { name: string }[] }> }) {
  return (await client.listTools()).tools.map((tool) => tool.name);
}

function errorCode(result: CallToolResult): unknown {
  expect(result.isError).toBe(true);
  return structured(result).code;
}

describe('the bundle file', () => {
  it('is named after the package and version, and stays small', () => {
    expect(statSync(bundle).size).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('carries only what runs: the built JavaScript, manifest, icon, licence and an ESM package.json', () => {
    const builtJs = filesUnder(join(ROOT, 'dist'))
      .filter((file) => file.endsWith('.js'))
      .map((file) => `dist/${file}`);
    expect(builtJs).toContain('dist/index.js');
    expect(filesUnder(installed)).toEqual(
      [...builtJs, 'LICENSE', 'icon.png', 'manifest.json', 'package.json'].sort(),
    );
    // Without "type": "module", a Node before 20.19 (no module detection) would read dist/ as CommonJS.
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))).toMatchObject({
      type: 'module',
    });
    expect(readFileSync(join(installed, 'icon.png')).subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});

describe('the manifest', () => {
  it('passes mcpb validate', async () => {
    const { stdout } = await run(process.execPath, [MCPB_CLI, 'validate', join(installed, 'manifest.json')]);
    expect(stdout).toContain('Manifest schema validation passes!');
  });

  it('takes name, version, description, licence and the Node range from package.json', () => {
    expect(manifest).toMatchObject({
      manifest_version: '0.3',
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      license: pkg.license,
      author: { name: pkg.author },
      compatibility: { runtimes: { node: pkg.engines.node } },
    });
  });

  it('lists exactly the tools of the catalogue', () => {
    expect(manifest.tools).toEqual(TOOLS.map((tool) => ({ name: tool.name, description: tool.title })));
  });

  it('starts the bundled server with node from the bundle folder', () => {
    expect(manifest.server).toMatchObject({
      type: 'node',
      entry_point: 'dist/index.js',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's own placeholder, not a template.
      mcp_config: { command: 'node', args: ['${__dirname}/dist/index.js'] },
    });
  });

  it('asks for the key as a sensitive string, a sandbox switch and the audit log, none required', () => {
    expect(manifest.user_config).toMatchObject({
      api_key: { type: 'string', sensitive: true, required: false, default: '' },
      sandbox: { type: 'boolean', required: false, default: false },
      audit_log: { type: 'string', required: false, default: '' },
    });
  });
});

describe('installed as Claude Desktop installs it', () => {
  it('in sandbox mode, lists the manifest tools and updates a simulated customer, audited in the default place', async () => {
    const { home, env, server } = await startInstalled({ sandbox: true });
    try {
      expect(env).toEqual({ SOLARPROOF_API_KEY: '', SOLARPROOF_SANDBOX: 'true', SOLARPROOF_AUDIT_LOG: '' });
      expect(await listedNames(server.client)).toEqual(manifest.tools?.map((tool) => tool.name));

      const found = await server.call('get_customer', { email: 'john.smith@example.com' });
      expect(found.isError).toBeFalsy();
      expect(structured(found)).toMatchObject({ ok: true, mode: 'sandbox' });

      const updated = await server.call('update_customer', { pkcustomerid: 79461, phone1: '0400 999 888' });
      expect(structured(updated)).toMatchObject({ ok: true, mode: 'sandbox', customerId: 79461 });
    } finally {
      await server.close();
    }
    // An empty audit-log setting means the server's default (Linux: ~/.local/state/...; sandbox
    // records have a file of their own).
    const records = readAudit(join(home, '.local/state/solarproof-mcp/sandbox-audit.jsonl'));
    expect(records.map((record) => [record.event, record.mode, record.customerId])).toEqual([
      ['update_requested', 'sandbox', 79461],
      ['update_completed', 'sandbox', 79461],
    ]);
  });

  it('without a key, lists the tools and answers a call with CONFIGURATION (sandbox "false" is off)', async () => {
    const { env, server } = await startInstalled({});
    try {
      expect(env.SOLARPROOF_SANDBOX).toBe('false');
      expect(await listedNames(server.client)).toEqual(TOOLS.map((tool) => tool.name));
      const result = await server.call('get_customer', { email: 'john.smith@example.com' });
      expect(errorCode(result)).toBe('CONFIGURATION');
      expect(structured(result).mode).toBe('live');
      expect(readyLine(server.stderr())).toMatchObject({ mode: 'live', apiKey: 'missing' });
    } finally {
      await server.close();
    }
  });

  it('with a key and an audit-log path, runs live with both and refuses bad arguments before any request', async () => {
    const home = tempFolder('audit');
    const auditPath = join(home, 'audit.jsonl');
    const { server } = await startInstalled({ api_key: SENTINEL_KEY, audit_log: auditPath });
    try {
      expect(await listedNames(server.client)).toEqual(TOOLS.map((tool) => tool.name));
      const result = await server.call('get_customer', { email: 'not an email' });
      expect(errorCode(result)).toBe('INVALID_ARGUMENTS');
      expect(structured(result).mode).toBe('live');
      expect(readyLine(server.stderr())).toMatchObject({ mode: 'live', apiKey: 'set', auditLog: auditPath });
    } finally {
      // Also checks that the key appears in no result and no log line.
      await server.close();
    }
  });

  it('with the audit log off, keeps none', async () => {
    const { home, server } = await startInstalled({ sandbox: true, audit_log: 'off' });
    try {
      const updated = await server.call('update_customer', { pkcustomerid: 79461, phone1: '0400 999 888' });
      expect(structured(updated)).toMatchObject({ ok: true, mode: 'sandbox' });
      expect(readyLine(server.stderr())).toMatchObject({ mode: 'sandbox', auditLog: 'off' });
    } finally {
      await server.close();
    }
    expect(filesUnder(home)).toEqual([]);
  });
});
