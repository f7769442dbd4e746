// Builds the Claude Desktop bundle, solarproof-mcp-<version>.mcpb, from the built dist/ with the
// official packer. Run `npm run bundle` (which builds dist/ first), or after `node build.mjs`:
//   node packaging/bundle.mjs [--out <folder for the .mcpb>] [--stage <staging folder>]
// The manifest is packaging/manifest.base.json plus what must never drift: name, version,
// description, author, licence and Node range from package.json, and the tool list from the
// catalogue the server itself serves.
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packExtension } from '@anthropic-ai/mcpb';
import { tsImport } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { out: { type: 'string', default: root }, stage: { type: 'string', default: 'build/mcpb' } },
});
const outDir = resolve(root, values.out);
const stage = resolve(root, values.stage);

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const base = JSON.parse(await readFile(join(root, 'packaging/manifest.base.json'), 'utf8'));
const { TOOLS } = await tsImport('../src/tools/catalog.ts', import.meta.url);

const manifest = {
  manifest_version: base.manifest_version,
  name: pkg.name,
  display_name: base.display_name,
  version: pkg.version,
  description: pkg.description,
  ...base,
  author: { name: pkg.author },
  license: pkg.license,
  compatibility: { ...base.compatibility, runtimes: { node: pkg.engines.node } },
  // The title is the one-line summary a person reads in the install dialog; the model reads the
  // full description from tools/list.
  tools: TOOLS.map((tool) => ({ name: tool.name, description: tool.title })),
};
checkUserConfig(manifest);

await rm(stage, { recursive: true, force: true });
await mkdir(stage, { recursive: true });
// The bundle carries only what runs: dist/ is self-contained (esbuild inlines every dependency),
// so no node_modules; source maps stay out to keep it small.
const dist = join(root, 'dist');
const entry = join(root, manifest.server.entry_point);
if (!(await stat(entry).catch(() => undefined))) {
  throw new Error(`${relative(root, entry)} is missing: run node build.mjs first (npm run bundle does).`);
}
for (const file of await readdir(dist, { recursive: true })) {
  if (!file.endsWith('.js')) continue;
  await mkdir(dirname(join(stage, 'dist', file)), { recursive: true });
  await copyFile(join(dist, file), join(stage, 'dist', file));
}
// dist/ is ESM: without "type": "module" a Node older than 20.19 (no module detection) would read
// it as CommonJS.
await writeFile(
  join(stage, 'package.json'),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`,
);
await copyFile(join(root, 'packaging/icon.png'), join(stage, manifest.icon));
await copyFile(join(root, 'LICENSE'), join(stage, 'LICENSE'));
await writeFile(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const output = join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
if (!(await packExtension({ extensionPath: stage, outputPath: output }))) {
  throw new Error('mcpb pack failed (see above).');
}

/**
 * The host leaves `${user_config.x}` as literal text when x has no value, and the server would
 * take that text for a key or a path. Every option the server reads therefore has a default (the
 * empty string means "not set" to src/config.ts), and a required option would keep the server from
 * starting at all, which sandbox mode without a key must not.
 */
function checkUserConfig({ user_config: options, server }) {
  const used = JSON.stringify(server.mcp_config).matchAll(/\$\{user_config\.([^}]+)\}/g);
  for (const [, key] of used) {
    const option = options[key];
    if (!option) throw new Error(`mcp_config uses user_config.${key}, which is not declared.`);
    if (option.default === undefined || option.required) {
      throw new Error(`user_config.${key} must be optional with a default.`);
    }
  }
}
