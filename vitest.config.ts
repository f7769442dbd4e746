import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * `vitest run` runs everything. `vitest run --mode fast` (npm run test:fast) leaves out the property
 * tests (test/fuzz/) and the tests of the built server as a process (test/process/), and makes any
 * remaining spawn of the server fail, so a process test in the wrong folder shows.
 */
export default defineConfig(({ mode }) => ({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(mode === 'fast' ? ['test/fuzz/**', 'test/process/**'] : [])],
    env: mode === 'fast' ? { SOLARPROOF_TESTS_IN_PROCESS_ONLY: '1' } : {},
    globalSetup: ['test/global-setup.ts'],
    // Process tests spawn the built server; give slow CI machines room without hiding hangs.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // The fast tests mostly wait (on deadlines, retries, the stand-in), so they run two files at a
    // time even on two cores, where vitest's default would run one.
    ...(mode === 'fast' ? { maxWorkers: Math.max(2, availableParallelism() - 1) } : {}),
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
}));
