// Bundles the server into one ESM file: one read and one parse at start-up instead of hundreds
// of module files, which is most of the cold-start cost of an MCP server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * The SDK's Server imports its Ajv provider at the top, for elicitation, which this server never
 * uses (src/server.ts passes its own jsonSchemaValidator). Ajv, ajv-formats and fast-uri are ~270 KB
 * of module code run at every start-up, so the bundle gets a stub in their place.
 */
const noAjv = {
  name: 'no-ajv',
  setup(b) {
    b.onResolve({ filter: /\/validation\/ajv-provider\.js$/ }, (args) =>
      args.importer.includes('@modelcontextprotocol/sdk')
        ? { path: 'ajv-provider', namespace: 'no-ajv' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents:
        "export class AjvJsonSchemaValidator { getValidator() { throw new Error('solarproof-mcp is built without Ajv: it does not use elicitation.'); } }",
      loader: 'js',
    }));
  },
};

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
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
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
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  // Code behind a dynamic import() (the sandbox) becomes its own chunk, loaded only when used.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [noAjv],
  // The catalogue's tools/list answer, as a string the server parses at its first tools/list.
  define: { __SOLARPROOF_TOOL_LIST__: JSON.stringify(toolList) },
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  // (Each chunk gets the banner; the name is chunk-local so they do not collide.)
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
