import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/command-line.js';

describe('parseCommandLine', () => {
  it('runs stdio by default, and HTTP with --http and its flags', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'run', options: { sandbox: false, http: false } });
    expect(parseCommandLine(['--sandbox'])).toEqual({ kind: 'run', options: { sandbox: true, http: false } });
    expect(parseCommandLine(['--http', '--host', '0.0.0.0', '--port=0', '--sandbox'])).toEqual({
      kind: 'run',
      options: { sandbox: true, http: true, host: '0.0.0.0', port: '0' },
    });
  });

  it('answers --help and --version', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h', '--http'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });

  it.each([
    [['--sandbx'], /Unknown option '--sandbx'/],
    [['-x'], /Unknown option '-x'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--sandbox=yes'], /does not take an argument/],
    [['--http', '--port'], /argument missing/],
    [['--http', '--host', '--sandbox'], /ambiguous/],
    [['--port', '3000'], /--port applies only with --http/],
    [['--host=::'], /--host applies only with --http/],
    [['--token', 'abc'], /Unknown option '--token'/],
  ])('refuses %j', (argv, message) => {
    const parsed = parseCommandLine(argv);
    expect(parsed.kind).toBe('error');
    if (parsed.kind === 'error') expect(parsed.message).toMatch(message);
  });
});
