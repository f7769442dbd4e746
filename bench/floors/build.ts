/**
 * Bundles the two floors at bench time with the options build.mjs uses for ours (one ESM file per
 * entry, minified, code behind a dynamic import() split into its own chunk, the SDK's Ajv provider
 * stubbed out, a require() for CommonJS dependencies), so the comparison is bundle against bundle.
 * If build.mjs changes how ours is bundled, change it here too.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));

const noAjv: Plugin = {
  name: 'no-ajv',
  setup(b) {
    b.onResolve({ filter: /\/validation\/ajv-provider\.js$/ }, (args) =>
      args.importer.includes('@modelcontextprotocol/sdk')
        ? { path: 'ajv-provider', namespace: 'no-ajv' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents:
        "export class AjvJsonSchemaValidator { getValidator() { throw new Error('built without Ajv'); } }",
      loader: 'js',
    }));
  },
};

async function bundle(entry: string, outdir: string): Promise<string> {
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(HERE, `${entry}.ts`)],
    outdir,
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
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return join(outdir, `${entry}.js`);
}

/** Each floor in its own folder under `outdir`; returns the entry files. */
export async function buildFloors(outdir: string): Promise<{ minimalSdkServer: string; bareBridge: string }> {
  const [minimalSdkServer, bareBridge] = await Promise.all([
    bundle('minimal-sdk-server', join(outdir, 'minimal-sdk-server')),
    bundle('bare-bridge', join(outdir, 'bare-bridge')),
  ]);
  return { minimalSdkServer, bareBridge };
}
