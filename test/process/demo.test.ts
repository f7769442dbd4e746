/** `npm run demo` is the README's "run the main job" command: it must work on a fresh clone. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('the sandbox demo runs every step and exits 0', () => {
  // dist/ is fresh: the vitest global setup builds it.
  const run = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'demo/demo.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  for (const expected of [
    'get_customer',
    'find_customers',
    'update_customer',
    'list_updates',
    'undo_update',
    // found by company, by a phone written differently from the record, and by project
    '79461 John Smith, Smith Solar Solutions — exact match on surname, companyname',
    'No change for John Smith (79461): it already has gststatus 1. Nothing was sent.',
    '80125 Mei Chen — exact match on phone1; phone1 0433 221 908',
    'Found customer 81307 for project 51877',
    'site: 4 Industrial Drive, Braybrook VIC 3019',
    'Found customer 79461: John Smith',
    'Dry run for John Smith (79461): would change phone1 0412345678 → 0400 999 888. Nothing was sent.',
    'api_key=%5BREDACTED%5D',
    'Updated John Smith (79461): phone1 0412345678 → 0400 999 888.',
    'verified: true',
    'phone1: 0412345678 → 0400 999 888',
    // the search after the update answers from the cache, with the new number
    '79461 John Smith, Smith Solar Solutions — exact match on phone1; phone1 0400 999 888',
    'code CONFLICT; the record holds email mei.chen@example.net',
    'code EMAIL_IN_USE: in use by 80125 Mei Chen',
    'code TIMEOUT, applied: true, retryable: false',
    'Undid the update: John Smith (79461): phone1 0400 999 888 → 0412345678.',
    'no_change',
    'Demo complete',
  ]) {
    expect(run.stdout).toContain(expected);
  }
  // Sandbox mode says so on every result.
  expect(run.stdout.match(/SANDBOX/g)?.length).toBeGreaterThanOrEqual(5);
}, 40_000);
