/**
 * The bundle the server starts from (built by the vitest global setup). Ajv and its helpers are
 * stubbed out by build.mjs, because the SDK only needs them for elicitation, which this server never
 * uses, and they cost start-up time; these checks fail loudly should an SDK upgrade bring them back.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** What the entry file may weigh: today about two thirds of it; with Ajv back it more than doubles. */
const ENTRY_MAX_BYTES = 160 * 1024;
/** Words only Ajv's own code contains (its options), never this server's or the SDK's. */
const AJV_MARKERS = ['strictTypes', 'removeAdditional'];

const startUpFiles = () => {
  const entry = join(DIST, 'index.js');
  const text = readFileSync(entry, 'utf8');
  // The chunks the entry imports statically load at start-up too; the sandbox and undici do not.
  const imported = [...text.matchAll(/from"\.\/(chunks\/[^"]+\.js)"/g)].map((m) =>
    join(DIST, m[1] as string),
  );
  return [entry, ...imported];
};

describe('the bundle', () => {
  it('keeps Ajv out of everything loaded at start-up', () => {
    const files = startUpFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const marker of AJV_MARKERS) expect(text.includes(marker), `${marker} in ${file}`).toBe(false);
    }
  });

  it('keeps the entry file small', () => {
    expect(statSync(join(DIST, 'index.js')).size).toBeLessThanOrEqual(ENTRY_MAX_BYTES);
  });

  it('loads the sandbox and the HTTP client only when used, as chunks of their own', () => {
    const chunks = readdirSync(join(DIST, 'chunks'));
    expect(chunks.some((name) => name.startsWith('undici-'))).toBe(true);
    const loadedAtStart = startUpFiles().join(' ');
    expect(loadedAtStart).not.toMatch(/undici-|sandbox-|api-|http-/);
  });
});
