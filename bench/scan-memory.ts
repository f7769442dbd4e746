/**
 * What find_customers' cache costs: the heap a scanned list of 10,000 customers keeps (the page cap's
 * default bound), search index included, and how long one search over it takes. In process, against the sandbox Solar Proof
 * with 10,000 customers in the seed's shape. A report, not a test.
 *
 *   node --expose-gc --import tsx bench/scan-memory.ts [--json]
 *
 * With --json it prints one JSON object instead (ScanMemoryReport), for bench/run.ts.
 */
import { loadConfig } from '../src/config.js';
import type { SandboxCustomer } from '../src/sandbox/customers.js';
import { seedCustomers } from '../src/sandbox/customers.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { SolarProofClient } from '../src/solarproof/client.js';
import { searchIndex } from '../src/solarproof/customer-cache.js';
import { CustomerDirectory } from '../src/solarproof/customer-directory.js';
import { parseQuery, rankMatches } from '../src/solarproof/matching.js';

export interface ScanMemoryReport {
  customers: number;
  pages: number;
  stop: string;
  heapKeptBytes: number;
  scanMs: number;
  indexMs: number;
  searchMs: number;
  searches: number;
}

const CUSTOMERS = 10_000;
const SEARCHES = 200;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const seed = seedCustomers();
const customers: SandboxCustomer[] = [];
for (let i = 0; i < CUSTOMERS; i++) {
  const base = seed[i % seed.length] as SandboxCustomer;
  customers.push({
    ...structuredClone(base),
    pkcustomerid: 100_000 + i,
    email: `customer${i}.${base.email}`,
    phone1: `04${String(10_000_000 + i * 7_919).slice(-8)}`,
  });
}
const sandbox = await startSandbox({ apiKey: 'bench-key', customers });
const config = {
  ...loadConfig({ SOLARPROOF_API_KEY: 'bench-key', SOLARPROOF_SCAN_MAX_PAGES: '201' }),
  baseUrl: new URL(sandbox.url),
};
const client = new SolarProofClient({ ...config, apiKey: 'bench-key', userAgent: 'bench' });
const directory = new CustomerDirectory({ config, client: () => client });

// Warm the code paths (one small scan of another directory, then thrown away), so the figure is data.
await new CustomerDirectory({
  config: { ...config, scanMaxPages: 2 },
  client: () => client,
}).scan(new AbortController().signal);

const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const before = heap();
const started = performance.now();
const scan = await directory.scan(new AbortController().signal);
const scanMs = performance.now() - started;
// As find_customers searches it: through the list laid out for search, built by the first search.
const indexStarted = performance.now();
const index = searchIndex(scan.snapshot);
const indexMs = performance.now() - indexStarted;
const after = heap();

const queries = ['smith', 'john smith', '0412 345 678', 'example.net', 'o’brien', 'Smith Solar', '345 678'];
const searchStarted = performance.now();
for (let i = 0; i < SEARCHES; i++) {
  const query = parseQuery(queries[i % queries.length] as string);
  rankMatches(query, index.candidates(query));
}
const searchMs = (performance.now() - searchStarted) / SEARCHES;

const report: ScanMemoryReport = {
  customers: scan.snapshot.customers.size,
  pages: scan.snapshot.pages,
  stop: String(scan.snapshot.stop),
  heapKeptBytes: after - before,
  scanMs,
  indexMs,
  searchMs,
  searches: SEARCHES,
};
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report));
} else {
  console.log(`customers cached:        ${report.customers} (${report.pages} pages, ${report.stop})`);
  console.log(
    `heap kept by the cache:  ${(report.heapKeptBytes / 1024 / 1024).toFixed(1)} MB (${Math.round(report.heapKeptBytes / report.customers)} bytes a customer)`,
  );
  console.log(`scan over loopback:      ${Math.round(scanMs)} ms`);
  console.log(`search index built in:   ${indexMs.toFixed(1)} ms (once per list)`);
  console.log(`one search of the cache: ${searchMs.toFixed(2)} ms (mean of ${SEARCHES})`);
}
await client.close();
await sandbox.close();
