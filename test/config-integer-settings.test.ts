/**
 * Issue 7, item 7: integer settings are plain decimal digits. Number() also read "1e3" and
 * "0x3e8" as 1000, so SOLARPROOF_TIMEOUT_MS=1e3 was accepted although the README allows whole
 * numbers only.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS, loadConfig } from '../src/config.js';

describe('integer settings', () => {
  it.each(['1e3', '0x3e8', '0X3E8', '0b1111101000', '0o1750', '1000.0', '+1000', '1_000', '1 000', '١٠٠٠'])(
    'SOLARPROOF_TIMEOUT_MS=%s is a problem and the default is kept',
    (raw) => {
      const config = loadConfig({ SOLARPROOF_TIMEOUT_MS: raw });
      expect(config.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
      expect(config.problems).toEqual([
        `SOLARPROOF_TIMEOUT_MS must be a whole number from 100 to 600000, not "${raw}".`,
      ]);
    },
  );

  it.each(['1e6', '0x100000', '1048576.0'])('SOLARPROOF_MAX_RESPONSE_BYTES=%s is a problem', (raw) => {
    const config = loadConfig({ SOLARPROOF_MAX_RESPONSE_BYTES: raw });
    expect(config.maxResponseBytes).toBe(DEFAULT_MAX_RESPONSE_BYTES);
    expect(config.problems).toHaveLength(1);
  });

  it.each([
    ['1000', 1000],
    [' 1000 ', 1000],
    ['01000', 1000],
  ])('SOLARPROOF_TIMEOUT_MS=%j is read as %d', (raw, value) => {
    const config = loadConfig({ SOLARPROOF_TIMEOUT_MS: raw });
    expect(config.timeoutMs).toBe(value);
    expect(config.problems).toEqual([]);
  });
});
