/**
 * The npm package: `npm pack` of the repository as it is (scripts off, so dist/ is not rebuilt
 * under the other test files' feet), installed into an empty folder with an empty cache and
 * --offline, so any dependency it tried to fetch would fail the install, then its bin driven over
 * stdio with the SDK's Client, directly and through npx. npm runs with a private HOME and cache and
 * without the update check: nothing here reaches the network.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../../package.json' with { type: 'json' };
import { TOOLS } from '../../../src/tools/catalog.js';
import { structured } from '../../helpers/harness.js';
import { filesUnder, type Launched, launch, NODE_PATH, ROOT, run, tempFolder } from './support.js';

interface PackResult {
  filename: string;
  files: { path: string }[];
}

let work: string;
let npmEnv: Record<string, string>;
let tarball: string;

/** npm with nothing of the developer's: no user config, no shared cache, no update check. */
function npm(args: string[], cwd: string) {
  return run('npm', args, { cwd, env: npmEnv });
}

async function pack(extra: string[]): Promise<PackResult> {
  const { stdout } = await npm(['pack', '--json', '--ignore-scripts', ...extra], ROOT);
  const [result] = JSON.parse(stdout) as PackResult[];
  if (!result) throw new Error(`npm pack printed no result: ${stdout}`);
  return result;
}

beforeAll(async () => {
  work = tempFolder('npm-package');
  mkdirSync(join(work, 'home'));
  npmEnv = {
    PATH: NODE_PATH,
    HOME: join(work, 'home'),
    npm_config_cache: join(work, 'cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  tarball = join(work, (await pack(['--pack-destination', work])).filename);
}, 60_000);

async function sandboxCallWorks(server: Launched): Promise<void> {
  try {
    const listed = await server.client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toEqual(TOOLS.map((tool) => tool.name));
    const result = await server.call('get_customer', { email: 'john.smith@example.com' });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({ ok: true, mode: 'sandbox' });
  } finally {
    await server.close();
  }
}

describe('npm pack', () => {
  it('carries the built JavaScript, README, LICENSE and package.json, and nothing else', async () => {
    const dryRun = await pack(['--dry-run']);
    const builtJs = filesUnder(join(ROOT, 'dist'))
      .filter((file) => file.endsWith('.js'))
      .map((file) => `dist/${file}`);
    expect(builtJs).toContain(pkg.bin['solarproof-mcp']);
    expect(dryRun.files.map((file) => file.path).sort()).toEqual(
      [...builtJs, 'LICENSE', 'README.md', 'package.json'].sort(),
    );
  });

  it('has no runtime dependencies, and its LICENSE is the licence package.json names', () => {
    expect(pkg).not.toHaveProperty('dependencies');
    expect(pkg).not.toHaveProperty('optionalDependencies');
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });
});

describe('the packed tarball', () => {
  it('installs offline into an empty folder, fetching nothing, and its bin serves the tools over stdio', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    await npm(['install', '--offline', tarball], app);
    expect(readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([
      'solarproof-mcp',
    ]);
    // Nothing was built on install (prepare does not run, and there is nothing to build it with).
    expect(existsSync(join(app, 'node_modules/solarproof-mcp/build.mjs'))).toBe(false);

    const bin = join(app, 'node_modules/.bin/solarproof-mcp');
    await sandboxCallWorks(await launch(bin, ['--sandbox'], { PATH: NODE_PATH, HOME: npmEnv.HOME! }));
  });

  it('runs with npx from an empty folder, as `npx -y solarproof-mcp` will once published', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const server = await launch(
      'npx',
      ['--yes', '--offline', '--package', tarball, 'solarproof-mcp'],
      { ...npmEnv, npm_config_cache: join(work, 'npx-cache'), SOLARPROOF_SANDBOX: '1' },
      empty,
    );
    await sandboxCallWorks(server);
    expect(readdirSync(empty)).toEqual([]);
  });
});
