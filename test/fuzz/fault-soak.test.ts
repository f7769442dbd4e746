/**
 * The fault soak, short: 1,000 update_customer calls at concurrency 16 through the built server,
 * with ~5% of the stand-in's answers faulty (resets mid-body, stalls past the deadline, 5xx,
 * garbage). The same code as `npm run soak` (test/fuzz/soak-lib.ts), which runs 10,000.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, memoryFlat, runSoak } from './soak-lib.js';

describe('fault soak', () => {
  it('1,000 calls at concurrency 16: one well-formed result each, ok only when applied, audit complete, memory flat', async () => {
    const report = await runSoak({ calls: 1_000, concurrency: 16, timeoutMs: 1_000 });
    console.info(formatReport(report));
    expect(report.violations).toEqual([]);
    expect(report.stillAnswering).toBe(true);
    expect(report.ok + report.failed).toBe(1_000);
    // Faults really happened, and most calls still went through.
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    expect(report.ok).toBeGreaterThan(900);
    expect(report.audit.requested).toBe(1_001);
    expect(memoryFlat(report)).toBe(true);
  }, 90_000);
});
