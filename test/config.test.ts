import { describe, expect, it } from 'vitest';
import {
  checkBaseUrl,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  isLoopbackHost,
  loadConfig,
} from '../src/config.js';

describe('loadConfig defaults', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.apiKey).toBeUndefined();
    expect(config.baseUrl.href).toBe('https://solarproof.com.au/');
    expect(DEFAULT_BASE_URL).toBe('https://solarproof.com.au');
    expect(config.httpMethod).toBe('POST');
    expect(config.timeoutMs).toBe(15_000);
    expect(DEFAULT_TIMEOUT_MS).toBe(15_000);
    expect(config.maxResponseBytes).toBe(1024 * 1024);
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(1024 * 1024);
    expect(config.logLevel).toBe('info');
    expect(config.problems).toEqual([]);
  });

  it('treats empty and whitespace-only values as unset', () => {
    const config = loadConfig({
      SOLARPROOF_API_KEY: '   ',
      SOLARPROOF_BASE_URL: '',
      SOLARPROOF_HTTP_METHOD: ' ',
      SOLARPROOF_TIMEOUT_MS: '',
      SOLARPROOF_MAX_RESPONSE_BYTES: '\t',
      SOLARPROOF_LOG_LEVEL: '',
    });
    expect(config.apiKey).toBeUndefined();
    expect(config.baseUrl.href).toBe('https://solarproof.com.au/');
    expect(config.httpMethod).toBe('POST');
    expect(config.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(config.maxResponseBytes).toBe(DEFAULT_MAX_RESPONSE_BYTES);
    expect(config.logLevel).toBe('info');
    expect(config.problems).toEqual([]);
  });

  it('a missing key is not a problem: the server must still start and list its tools', () => {
    const config = loadConfig({ SOLARPROOF_BASE_URL: 'https://solarproof.com.au' });
    expect(config.apiKey).toBeUndefined();
    expect(config.problems).toEqual([]);
  });

  it('reads the key, trimming surrounding whitespace only', () => {
    expect(loadConfig({ SOLARPROOF_API_KEY: 'spk_abc&d+e=f/ g' }).apiKey).toBe('spk_abc&d+e=f/ g');
    expect(loadConfig({ SOLARPROOF_API_KEY: '  spk_abc \n' }).apiKey).toBe('spk_abc');
  });
});

describe('SOLARPROOF_BASE_URL', () => {
  const base = (value: string) => loadConfig({ SOLARPROOF_BASE_URL: value });

  it('accepts https for any host, keeping a path prefix', () => {
    const config = base('https://crm.example.com.au/solar/');
    expect(config.problems).toEqual([]);
    expect(config.baseUrl.href).toBe('https://crm.example.com.au/solar/');
    expect(base('https://solarproof.com.au:8443').baseUrl.port).toBe('8443');
  });

  it.each([
    'http://127.0.0.1:8080',
    'http://127.0.0.1',
    'http://127.10.20.30:9',
    'http://localhost:3000/api',
    'http://LOCALHOST',
    'http://[::1]:9000',
  ])('accepts plain http for the loopback URL %s', (url) => {
    const config = base(url);
    expect(config.problems).toEqual([]);
    expect(config.baseUrl.href).toBe(new URL(url).href);
  });

  it.each([
    'http://solarproof.com.au',
    'http://example.com:80/api',
    'http://10.0.0.5',
    'http://192.168.1.1:8080',
    'http://0.0.0.0:8080',
    'http://128.0.0.1',
    'http://127.0.0.1.nip.io',
    'http://localhost.evil.com',
    'http://sandbox.localhost:1234',
    'http://[::2]',
    'http://[::]:80',
  ])('refuses plain http to the non-loopback URL %s and keeps the default', (url) => {
    const config = base(url);
    expect(config.problems).toHaveLength(1);
    expect(config.problems[0]).toMatch(/plain http/);
    expect(config.problems[0]).toContain(new URL(url).hostname);
    expect(config.baseUrl.href).toBe('https://solarproof.com.au/');
  });

  it.each(['ftp://solarproof.com.au', 'ws://127.0.0.1:80', 'file:///etc/passwd'])(
    'refuses the non-http scheme %s',
    (url) => {
      const config = base(url);
      expect(config.problems).toHaveLength(1);
      expect(config.problems[0]).toMatch(/must be an https URL/);
      expect(config.baseUrl.href).toBe('https://solarproof.com.au/');
    },
  );

  it.each([
    'https://user:s3cretPw@solarproof.com.au',
    'https://s3cretPw@solarproof.com.au',
    'http://u:s3cretPw@127.0.0.1',
  ])('refuses credentials in %s', (url) => {
    const config = base(url);
    expect(config.problems).toEqual(['SOLARPROOF_BASE_URL must not contain a user name or password.']);
    // The refusal must not echo the credentials back into a tool result.
    expect(config.problems.join(' ')).not.toContain('s3cretPw');
    expect(config.baseUrl.href).toBe('https://solarproof.com.au/');
  });

  it.each([
    'https://solarproof.com.au/?api_key=abc',
    'https://solarproof.com.au/apidata.php?x=1',
    'https://solarproof.com.au/#frag',
    'http://127.0.0.1:9/?a=b',
  ])('refuses a query string or fragment in %s', (url) => {
    const config = base(url);
    expect(config.problems).toEqual(['SOLARPROOF_BASE_URL must not contain a query string or fragment.']);
  });

  it('refuses something that is not a URL, truncating a long value', () => {
    expect(base('not a url').problems[0]).toMatch(/not a valid URL: "not a url"/);
    const long = `x${'y'.repeat(200)}`;
    const problem = base(long).problems[0] ?? '';
    expect(problem).toContain('…');
    expect(problem).not.toContain(long);
    expect(problem.length).toBeLessThan(150);
  });
});

describe('checkBaseUrl', () => {
  it('returns a URL for accepted values and a string for refused ones', () => {
    const ok = checkBaseUrl('https://solarproof.com.au');
    expect(ok).toBeInstanceOf(URL);
    expect((ok as URL).hostname).toBe('solarproof.com.au');
    expect(typeof checkBaseUrl('http://solarproof.com.au')).toBe('string');
    expect(typeof checkBaseUrl('ftp://127.0.0.1')).toBe('string');
    expect(checkBaseUrl('http://[::1]:8080')).toBeInstanceOf(URL);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    'localhost',
    'LocalHost',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '',
    '128.0.0.1',
    '126.255.255.255',
    '0.0.0.0',
    '10.0.0.1',
    '::',
    '::2',
    '[::2]',
    'example.com',
    '127.0.0.1.example.com',
    'localhost.example.com',
    'notlocalhost',
    // Resolved through DNS on many systems, so it could be anywhere.
    'api.localhost',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('SOLARPROOF_HTTP_METHOD', () => {
  it.each([
    ['POST', 'POST'],
    ['PUT', 'PUT'],
    ['put', 'PUT'],
    ['post', 'POST'],
    [' Put ', 'PUT'],
  ])('%j gives %s', (raw, method) => {
    const config = loadConfig({ SOLARPROOF_HTTP_METHOD: raw });
    expect(config.httpMethod).toBe(method);
    expect(config.problems).toEqual([]);
  });

  it.each(['GET', 'DELETE', 'PATCH', 'POSTX'])('refuses %s and falls back to POST', (raw) => {
    const config = loadConfig({ SOLARPROOF_HTTP_METHOD: raw });
    expect(config.httpMethod).toBe('POST');
    expect(config.problems).toEqual([`SOLARPROOF_HTTP_METHOD must be POST or PUT, not "${raw}".`]);
  });
});

describe('numeric limits', () => {
  it.each([
    ['100', 100],
    ['600000', 600_000],
    ['2500', 2500],
  ])('SOLARPROOF_TIMEOUT_MS=%s is accepted', (raw, value) => {
    const config = loadConfig({ SOLARPROOF_TIMEOUT_MS: raw });
    expect(config.timeoutMs).toBe(value);
    expect(config.problems).toEqual([]);
  });

  it.each(['99', '0', '-1', '600001', '1.5', 'abc', '15s', 'Infinity', 'NaN'])(
    'SOLARPROOF_TIMEOUT_MS=%s is a problem and the default is kept',
    (raw) => {
      const config = loadConfig({ SOLARPROOF_TIMEOUT_MS: raw });
      expect(config.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
      expect(config.problems).toEqual([
        `SOLARPROOF_TIMEOUT_MS must be a whole number from 100 to 600000, not "${raw}".`,
      ]);
    },
  );

  it.each([
    ['1024', 1024],
    [String(64 * 1024 * 1024), 64 * 1024 * 1024],
    ['5000000', 5_000_000],
  ])('SOLARPROOF_MAX_RESPONSE_BYTES=%s is accepted', (raw, value) => {
    const config = loadConfig({ SOLARPROOF_MAX_RESPONSE_BYTES: raw });
    expect(config.maxResponseBytes).toBe(value);
    expect(config.problems).toEqual([]);
  });

  it.each(['1023', '0', String(64 * 1024 * 1024 + 1), '2048.5', 'lots'])(
    'SOLARPROOF_MAX_RESPONSE_BYTES=%s is a problem and the default is kept',
    (raw) => {
      const config = loadConfig({ SOLARPROOF_MAX_RESPONSE_BYTES: raw });
      expect(config.maxResponseBytes).toBe(DEFAULT_MAX_RESPONSE_BYTES);
      expect(config.problems).toHaveLength(1);
      expect(config.problems[0]).toMatch(
        /^SOLARPROOF_MAX_RESPONSE_BYTES must be a whole number from 1024 to 67108864/,
      );
    },
  );
});

describe('SOLARPROOF_LOG_LEVEL', () => {
  it.each([
    ['debug', 'debug'],
    ['INFO', 'info'],
    ['Warn', 'warn'],
    ['error', 'error'],
    ['silent', 'silent'],
  ])('%s gives %s', (raw, level) => {
    const config = loadConfig({ SOLARPROOF_LOG_LEVEL: raw });
    expect(config.logLevel).toBe(level);
    expect(config.problems).toEqual([]);
  });

  it('an unknown level is a problem and info is kept', () => {
    const config = loadConfig({ SOLARPROOF_LOG_LEVEL: 'verbose' });
    expect(config.logLevel).toBe('info');
    expect(config.problems).toEqual([
      'SOLARPROOF_LOG_LEVEL must be one of debug, info, warn, error, silent.',
    ]);
  });
});

it('collects every problem at once rather than stopping at the first', () => {
  const config = loadConfig({
    SOLARPROOF_API_KEY: 'spk_x',
    SOLARPROOF_BASE_URL: 'http://example.com',
    SOLARPROOF_HTTP_METHOD: 'GET',
    SOLARPROOF_TIMEOUT_MS: '5',
    SOLARPROOF_MAX_RESPONSE_BYTES: '1',
    SOLARPROOF_LOG_LEVEL: 'loud',
  });
  expect(config.problems).toHaveLength(5);
  expect(config.apiKey).toBe('spk_x');
});
