/**
 * undici is about half of the bundle and much of its module initialisation: it is loaded on first
 * use (or from preloadHttp once the MCP handshake is done), not at start-up; esbuild makes it its own
 * chunk. A module of its own so that a transport can preload it without loading the client.
 */
let undici: Promise<typeof import('undici')> | undefined;
export function preloadHttp(): Promise<typeof import('undici')> {
  // Bundled, the chunk's only export is the CommonJS module.exports, as `default`; Node gives both.
  undici ??= import('undici').then(
    (m) => ((m as { default?: unknown }).default ?? m) as typeof import('undici'),
  );
  return undici;
}
