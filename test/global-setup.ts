/**
 * Builds dist/ before any test runs, and again before each re-run in watch mode, so the process
 * tests always spawn the current code however vitest was started (`npx vitest`, `npm test`).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = () => execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });

export default function setup(project: TestProject): void {
  build();
  project.onTestsRerun(() => {
    build();
  });
}
