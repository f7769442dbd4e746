/** The logger: one JSON line per entry at or above its level, redacted; fields made only when written. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { createRedactor } from '../src/redact.js';

function capture(level: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  const logger = createLogger(level, createRedactor(['s3cr3t-key']), {
    write: (line: string) => lines.push(line),
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('makes a line’s fields from a function only when the line is written', () => {
    const { logger, lines } = capture('info');
    let made = 0;
    const fields = () => {
      made++;
      return { url: 'https://x.example/?api_key=s3cr3t-key' };
    };
    logger.debug('not written', fields);
    expect(made).toBe(0);
    expect(lines).toEqual([]);
    logger.info('written', fields);
    expect(made).toBe(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'info',
      message: 'written',
      url: 'https://x.example/?api_key=[REDACTED]',
    });
  });

  it('takes fields as an object too', () => {
    const { logger, lines } = capture('debug');
    logger.debug('plain', { n: 1 });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'debug', message: 'plain', n: 1 });
  });
});
