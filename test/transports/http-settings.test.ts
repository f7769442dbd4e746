import { describe, expect, it } from 'vitest';
import {
  bearerMatches,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
  digest,
  type HttpSettings,
  hostAllowed,
  loadHttpSettings,
  originAllowed,
  parseHostHeader,
  parseOrigin,
  requestOrigins,
} from '../../src/transports/http-settings.js';

const TOKEN = 'a-token-of-sixteen-or-more';

function settings(env: Record<string, string>, flags = {}): HttpSettings {
  const loaded = loadHttpSettings(env, flags);
  if ('problems' in loaded) throw new Error(loaded.problems.join(' '));
  return loaded.settings;
}

function problems(env: Record<string, string>, flags = {}): string[] {
  const loaded = loadHttpSettings(env, flags);
  return 'problems' in loaded ? loaded.problems : [];
}

describe('loadHttpSettings', () => {
  it('defaults: loopback, port 3000, no token, loopback names only', () => {
    expect(settings({})).toEqual({
      host: DEFAULT_HTTP_HOST,
      port: DEFAULT_HTTP_PORT,
      token: undefined,
      allowedHosts: [],
      allowedOrigins: [],
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
      keyHeader: undefined,
    });
    expect(DEFAULT_HTTP_HOST).toBe('127.0.0.1');
  });

  it('flags win over the environment', () => {
    const s = settings({ SOLARPROOF_HTTP_HOST: '127.0.0.2', SOLARPROOF_HTTP_PORT: '4000' }, { port: '0' });
    expect([s.host, s.port]).toEqual(['127.0.0.2', 0]);
    expect(settings({}, { host: 'localhost' }).host).toBe('localhost');
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', 'mcp.example.com', 'localhost.example.com'])(
    'refuses to listen on %s without a token, and says how to fix it',
    (host) => {
      const [problem] = problems({ SOLARPROOF_HTTP_HOST: host });
      expect(problem).toMatch(/SOLARPROOF_HTTP_TOKEN is not set/);
      expect(problem).toMatch(/127\.0\.0\.1/);
      expect(problems({ SOLARPROOF_HTTP_HOST: host, SOLARPROOF_HTTP_TOKEN: TOKEN })).toEqual([]);
    },
  );

  it.each(['127.0.0.1', '127.8.9.10', 'localhost', '::1'])(
    'listens on loopback %s without a token',
    (host) => {
      expect(problems({ SOLARPROOF_HTTP_HOST: host })).toEqual([]);
    },
  );

  it('refuses a short token and one that cannot travel in a header', () => {
    expect(problems({ SOLARPROOF_HTTP_TOKEN: 'short' })[0]).toMatch(/shorter than 16/);
    expect(problems({ SOLARPROOF_HTTP_TOKEN: 'sixteen chars with spaces' })[0]).toMatch(/visible ASCII/);
  });

  it.each([
    ['SOLARPROOF_HTTP_PORT', '65536'],
    ['SOLARPROOF_HTTP_PORT', '-1'],
    ['SOLARPROOF_HTTP_PORT', '80.5'],
    ['SOLARPROOF_HTTP_PORT', '0x50'],
    ['SOLARPROOF_HTTP_MAX_BODY_BYTES', '10'],
    ['SOLARPROOF_HTTP_MAX_IN_FLIGHT', '0'],
    ['SOLARPROOF_HTTP_ALLOWED_HOSTS', 'good.example.com, bad host'],
    ['SOLARPROOF_HTTP_ALLOWED_HOSTS', 'http://with-scheme.example.com'],
    ['SOLARPROOF_HTTP_ALLOWED_ORIGINS', 'app.example.com'],
    ['SOLARPROOF_HTTP_ALLOWED_ORIGINS', 'https://app.example.com/path'],
    ['SOLARPROOF_HTTP_KEY_HEADER', 'authorization'],
    ['SOLARPROOF_HTTP_KEY_HEADER', 'x key'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    const found = problems({ [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(name);
  });

  it('reads the lists, the limits and the key header', () => {
    const s = settings({
      SOLARPROOF_HTTP_ALLOWED_HOSTS: 'MCP.example.com, proxy.internal:8443',
      SOLARPROOF_HTTP_ALLOWED_ORIGINS: 'https://App.example.com, http://localhost:5173/',
      SOLARPROOF_HTTP_MAX_BODY_BYTES: '4096',
      SOLARPROOF_HTTP_MAX_IN_FLIGHT: '8',
      SOLARPROOF_HTTP_KEY_HEADER: 'X-SolarProof-Api-Key',
    });
    expect(s.allowedHosts).toEqual([{ name: 'mcp.example.com' }, { name: 'proxy.internal', port: 8443 }]);
    expect(s.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect([s.maxBodyBytes, s.maxInFlight, s.keyHeader]).toEqual([4096, 8, 'x-solarproof-api-key']);
  });
});

describe('Host and Origin checks (DNS rebinding protection)', () => {
  const allowed = requestOrigins(settings({ SOLARPROOF_HTTP_ALLOWED_HOSTS: 'mcp.example.com' }), 3000);

  it.each([
    '127.0.0.1:3000',
    'localhost:3000',
    'LocalHost:3000',
    '[::1]:3000',
    'mcp.example.com',
    'mcp.example.com:443',
  ])('allows Host %s', (host) => expect(hostAllowed(host, allowed)).toBe(true));

  it.each([
    undefined,
    '',
    'evil.example.com:3000',
    'localhost:3001',
    'localhost',
    '127.0.0.1',
    '127.1:3000',
    'localhost.:3000',
    'localhost:3000.evil.example.com',
    'user@localhost:3000',
    'localhost:3000/path',
    'sub.localhost:3000',
    '[::1]',
  ])('refuses Host %s', (host) => expect(hostAllowed(host, allowed)).toBe(false));

  it('allows the address it listens on, unless that is a wildcard', () => {
    const on = (host: string) =>
      requestOrigins(settings({ SOLARPROOF_HTTP_HOST: host, SOLARPROOF_HTTP_TOKEN: TOKEN }), 80);
    expect(hostAllowed('10.0.0.5', on('10.0.0.5'))).toBe(true);
    expect(hostAllowed('10.0.0.5:80', on('10.0.0.5'))).toBe(true);
    expect(hostAllowed('0.0.0.0', on('0.0.0.0'))).toBe(false);
    expect(hostAllowed('localhost', on('0.0.0.0'))).toBe(true);
  });

  it('allows no Origin, the loopback origins on the bound port and the configured ones; nothing else', () => {
    const withApp = requestOrigins(
      settings({ SOLARPROOF_HTTP_ALLOWED_ORIGINS: 'https://app.example.com' }),
      3000,
    );
    for (const origin of [
      undefined,
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
      'https://app.example.com',
    ])
      expect(originAllowed(origin, withApp), String(origin)).toBe(true);
    for (const origin of [
      'null',
      '',
      'http://localhost:3001',
      'https://localhost:3000',
      'http://evil.example.com',
      'https://app.example.com.evil.example.com',
      'file://',
    ])
      expect(originAllowed(origin, withApp), origin).toBe(false);
  });

  it('parses Host headers strictly', () => {
    expect(parseHostHeader('Example.COM:8080')).toEqual({ name: 'example.com', port: 8080 });
    expect(parseHostHeader('[::1]:80')).toEqual({ name: '[::1]', port: 80 });
    expect(parseHostHeader('a b')).toBeUndefined();
    expect(parseHostHeader('%6cocalhost:3000')).toBeUndefined();
    expect(parseOrigin('https://a.example.com:443')).toBe('https://a.example.com');
  });
});

describe('bearerMatches', () => {
  const token = digest(TOKEN);
  it('accepts the token, whatever the case of "Bearer"', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, token)).toBe(true);
    expect(bearerMatches(`bearer   ${TOKEN} `, token)).toBe(true);
  });
  it.each([
    undefined,
    '',
    TOKEN,
    `Basic ${TOKEN}`,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(1)}`,
    `Bearer ${TOKEN} extra`,
    'Bearer ',
  ])('refuses %s', (header) => expect(bearerMatches(header, token)).toBe(false));
});
