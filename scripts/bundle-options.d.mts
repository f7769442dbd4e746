import type { BuildOptions, Plugin } from 'esbuild';

export const noAjv: Plugin;
export const requireBanner: { js: string };
export const bundleOptions: BuildOptions;
