/**
 * Name and version come from package.json so the server, its User-Agent and npm never disagree.
 * Imported (not read at run time) so the bundler inlines them and no chunk depends on where
 * package.json sits relative to it.
 */
import pkg from '../package.json' with { type: 'json' };

export const PACKAGE_NAME = pkg.name;
export const PACKAGE_VERSION = pkg.version;
export const USER_AGENT = `${pkg.name}/${pkg.version} (Model Context Protocol server; Node.js ${process.versions.node})`;
