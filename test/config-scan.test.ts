/** The find_customers settings: defaults, bounds, and TTL 0 as "off". */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_SCAN_MAX_PAGES,
  DEFAULT_SCAN_TIMEOUT_MS,
  loadConfig,
} from '../src/config.js';

describe('search settings', () => {
  it('default to 200 pages (10,000 customers), 45 s and a 300 s cache', () => {
    const config = loadConfig({});
    expect([config.scanMaxPages, config.scanTimeoutMs, config.cacheTtlSeconds]).toEqual([200, 45_000, 300]);
    expect([DEFAULT_SCAN_MAX_PAGES, DEFAULT_SCAN_TIMEOUT_MS, DEFAULT_CACHE_TTL_SECONDS]).toEqual([
      200, 45_000, 300,
    ]);
  });

  it('read whole numbers; SOLARPROOF_CACHE_TTL_SECONDS=0 is allowed (the cache off)', () => {
    const config = loadConfig({
      SOLARPROOF_SCAN_MAX_PAGES: '5',
      SOLARPROOF_SCAN_TIMEOUT_MS: ' 1500 ',
      SOLARPROOF_CACHE_TTL_SECONDS: '0',
    });
    expect([config.scanMaxPages, config.scanTimeoutMs, config.cacheTtlSeconds]).toEqual([5, 1_500, 0]);
    expect(config.problems).toEqual([]);
  });

  it.each([
    ['SOLARPROOF_SCAN_MAX_PAGES', '0'],
    ['SOLARPROOF_SCAN_MAX_PAGES', '10001'],
    ['SOLARPROOF_SCAN_MAX_PAGES', 'all'],
    ['SOLARPROOF_SCAN_TIMEOUT_MS', '99'],
    ['SOLARPROOF_SCAN_TIMEOUT_MS', '1.5'],
    ['SOLARPROOF_CACHE_TTL_SECONDS', '-1'],
    ['SOLARPROOF_CACHE_TTL_SECONDS', '86401'],
  ])('%s=%s is a CONFIGURATION problem naming the variable', (name, value) => {
    const config = loadConfig({ [name]: value });
    expect(config.problems).toHaveLength(1);
    expect(config.problems[0]).toContain(name);
  });
});
