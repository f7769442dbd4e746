import { readFileSync } from 'node:fs';

/**
 * Name and version come from package.json so the server, its User-Agent and npm never disagree.
 * The path is the same from src/ (tests) and dist/ (the built server): one level up.
 */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export const PACKAGE_NAME = pkg.name;
export const PACKAGE_VERSION = pkg.version;
export const USER_AGENT = `${pkg.name}/${pkg.version} (Model Context Protocol server; Node.js ${process.versions.node})`;
