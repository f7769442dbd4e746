/**
 * Bundles the two floors at bench time with the very options ours is bundled with
 * (scripts/bundle-options.mjs), so the comparison is bundle against bundle.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/bundle-options.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));

async function bundle(entry: string, outdir: string): Promise<string> {
  await rm(outdir, { recursive: true, force: true });
  await build({ ...bundleOptions, entryPoints: [join(HERE, `${entry}.ts`)], outdir });
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
