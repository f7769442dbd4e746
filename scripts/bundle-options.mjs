/**
 * How every bundle of this project is made: the server (build.mjs) and the benchmark's floors
 * (bench/floors/build.ts), so the comparison is bundle against bundle, made the same way.
 */

/**
 * The SDK's Server imports its Ajv provider at the top, for elicitation, which this server never
 * uses (src/server.ts passes its own jsonSchemaValidator). Ajv, ajv-formats and fast-uri are ~270 KB
 * of module code run at every start-up, so the bundle gets a stub in their place.
 */
export const noAjv = {
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
 * Some dependencies are CommonJS and call require(); give the ESM bundle one. (Each chunk gets the
 * banner; the name is chunk-local so they do not collide.)
 */
export const requireBanner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

/** One ESM file per entry, minified; code behind a dynamic import() becomes a chunk loaded only when used. */
export const bundleOptions = {
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
  banner: requireBanner,
};
