/**
 * The fault soak: `npm run soak` (builds first). SOAK_CALLS calls (default 10,000) at concurrency
 * 16 (SOAK_CONCURRENCY) against the stand-in with ~5% faulty answers; prints the figures and exits
 * non-zero on any violation or when the server's memory grew. The logic is in test/fuzz/soak-lib.ts,
 * shared with test/fuzz/fault-soak.test.ts.
 */
import { formatReport, memoryFlat, runSoak } from './soak-lib.js';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return value;
}

const calls = intFromEnv('SOAK_CALLS', 10_000);
const concurrency = intFromEnv('SOAK_CONCURRENCY', 16);
console.log(`soak: ${calls} update_customer calls, concurrency ${concurrency}, ~5% faulty upstream answers`);
const report = await runSoak({ calls, concurrency, log: (line) => console.log(`  ${line}`) });
console.log(formatReport(report));
if (report.violations.length > 0) console.log(`audit log kept at ${report.audit.path}`);
const failed = report.violations.length > 0 || !memoryFlat(report);
console.log(failed ? 'SOAK FAILED' : 'SOAK PASSED');
process.exitCode = failed ? 1 : 0;
