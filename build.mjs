// Bundles the server into one ESM file: one read and one parse at start-up instead of hundreds
// of module files, which is most of the cold-start cost of an MCP server.
import { rm } from 'node:fs/promises';
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
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  // (Each chunk gets the banner; the name is chunk-local so they do not collide.)
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
