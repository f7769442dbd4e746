/** SOLARPROOF_SANDBOX_FAULTS: what a user can write, what is refused, and how the Config carries it. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_MS, loadConfig } from '../../src/config.js';
import { parseSandboxFaults, SLOW_UPDATE_DELAY_MS } from '../../src/sandbox/faults.js';

describe('parseSandboxFaults', () => {
  it('reads every fault, in the order given, spaces and empty items ignored', () => {
    expect(
      parseSandboxFaults(' slow-updates , refuse-id-lookups,,ignore-fields=phone1+email, latency=250 ,'),
    ).toEqual({
      faults: [
        { kind: 'slow-updates' },
        { kind: 'refuse-id-lookups' },
        { kind: 'ignore-fields', fields: ['phone1', 'email'] },
        { kind: 'latency', ms: 250 },
      ],
      problems: [],
    });
  });

  it('nothing set, or only blanks, is no fault and no problem', () => {
    for (const raw of [undefined, '', '  ', ' , ,']) {
      expect(parseSandboxFaults(raw)).toEqual({ faults: [], problems: [] });
    }
  });

  it('fault names ignore case; a field named twice is stored once', () => {
    expect(parseSandboxFaults('Slow-Updates,IGNORE-FIELDS=gststatus+gststatus').faults).toEqual([
      { kind: 'slow-updates' },
      { kind: 'ignore-fields', fields: ['gststatus'] },
    ]);
  });

  it('latency takes whole milliseconds from 0 to 60000', () => {
    expect(parseSandboxFaults('latency=0').faults).toEqual([{ kind: 'latency', ms: 0 }]);
    expect(parseSandboxFaults('latency=60000').faults).toEqual([{ kind: 'latency', ms: 60_000 }]);
    for (const bad of ['latency', 'latency=', 'latency=60001', 'latency=1e3', 'latency=-5', 'latency=2.5']) {
      const { faults, problems } = parseSandboxFaults(bad);
      expect(faults, bad).toEqual([]);
      expect(problems, bad).toEqual([
        expect.stringMatching(/^SOLARPROOF_SANDBOX_FAULTS: latency takes a whole number/),
      ]);
    }
  });

  it('ignore-fields takes only updatable fields, joined by "+"', () => {
    for (const bad of [
      'ignore-fields',
      'ignore-fields=',
      'ignore-fields=phone1+notes',
      'ignore-fields=Phone1',
    ]) {
      const { faults, problems } = parseSandboxFaults(bad);
      expect(faults, bad).toEqual([]);
      expect(problems, bad).toEqual([
        expect.stringMatching(/^SOLARPROOF_SANDBOX_FAULTS: ignore-fields takes updatable fields .*firstname/),
      ]);
    }
  });

  it('an unknown name is a problem that lists the faults; the valid ones still apply', () => {
    const { faults, problems } = parseSandboxFaults('refuse-id-lookups,slow-lookups,latency=5');
    expect(faults).toEqual([{ kind: 'refuse-id-lookups' }, { kind: 'latency', ms: 5 }]);
    expect(problems).toEqual([
      'SOLARPROOF_SANDBOX_FAULTS: unknown fault "slow-lookups"; the faults are slow-updates, refuse-id-lookups, ignore-fields, latency.',
    ]);
  });

  it('a value on a fault that takes none, and a fault given twice, are problems', () => {
    expect(parseSandboxFaults('slow-updates=5').problems).toEqual([
      'SOLARPROOF_SANDBOX_FAULTS: slow-updates takes no value, not "5".',
    ]);
    expect(parseSandboxFaults('latency=5,latency=10')).toEqual({
      faults: [{ kind: 'latency', ms: 5 }],
      problems: ['SOLARPROOF_SANDBOX_FAULTS: latency is given more than once.'],
    });
  });

  it('quotes a long bad value only in part', () => {
    const [problem] = parseSandboxFaults(`${'x'.repeat(5_000)}`).problems;
    expect(problem?.length).toBeLessThan(200);
  });

  it('slow updates answer after the default deadline has passed, so a default client gives up first', () => {
    expect(SLOW_UPDATE_DELAY_MS).toBeGreaterThanOrEqual(2 * DEFAULT_TIMEOUT_MS);
  });
});

describe('the Config', () => {
  it('carries the parsed faults in sandbox mode', () => {
    const config = loadConfig({
      SOLARPROOF_SANDBOX: '1',
      SOLARPROOF_SANDBOX_FAULTS: 'latency=20,refuse-id-lookups',
    });
    expect(config.sandboxFaults).toEqual([{ kind: 'latency', ms: 20 }, { kind: 'refuse-id-lookups' }]);
    expect(config.problems).toEqual([]);
  });

  it('reports a bad fault as a configuration problem, like any other setting', () => {
    const config = loadConfig({ SOLARPROOF_SANDBOX_FAULTS: 'latency=fast' }, ['--sandbox']);
    expect(config.sandboxFaults).toEqual([]);
    expect(config.problems).toEqual([expect.stringContaining('SOLARPROOF_SANDBOX_FAULTS: latency takes')]);
  });

  it('ignores the setting in live mode, where no fault can apply', () => {
    const config = loadConfig({ SOLARPROOF_API_KEY: 'k', SOLARPROOF_SANDBOX_FAULTS: 'slow-updates,bogus' });
    expect(config.sandboxFaults).toEqual([]);
    expect(config.problems).toEqual([]);
  });
});
