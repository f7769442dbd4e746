// Bundles the server into one ESM file: one read and one parse at start-up instead of hundreds
// of module files, which is most of the cold-start cost of an MCP server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions, noAjv, requireBanner } from './scripts/bundle-options.mjs';

/**
 * The tools/list answer for the catalogue, converted here rather than at the first tools/list
 * (z.toJSONSchema of every schema is most of that request's time). The conversion is the server's
 * own (describeTool), run from a throwaway bundle; test/process/tool-list.test.ts checks the
 * built server lists exactly what describeTool makes of TOOLS.
 */
async function convertedToolList() {
  const dir = await mkdtemp(join(tmpdir(), 'solarproof-build-'));
  try {
    const outfile = join(dir, 'tool-list.mjs');
    await build({
      stdin: {
        contents:
          "import { describeTool, TOOLS } from './src/tools/catalog.ts'; export const list = JSON.stringify(TOOLS.map(describeTool));",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      plugins: [noAjv],
      banner: requireBanner,
    });
    const { list } = await import(pathToFileURL(outfile).href);
    return list;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const toolList = await convertedToolList();

await rm('dist', { recursive: true, force: true });

await build({
  ...bundleOptions,
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  // The catalogue's tools/list answer, as a string the server parses at its first tools/list.
  define: { __SOLARPROOF_TOOL_LIST__: JSON.stringify(toolList) },
});
