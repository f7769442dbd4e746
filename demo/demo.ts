/**
 * `npm run demo`: the whole job with no Solar Proof account. Starts the built server in sandbox
 * mode over stdio, drives it with the MCP SDK's own client exactly as Claude Desktop would, and
 * prints a readable transcript: the tools; finding customers by company (a change that is already
 * made sends nothing), by a phone number written differently from the record, and by project; a
 * lookup by email, a dry run, the update with `expect` and its changes from → to, a second lookup,
 * a search the update kept fresh; a mistyped id refused as CONFLICT, an email already in use
 * refused; a timeout whose outcome is resolved as applied (a second server, its sandbox told by
 * SOLARPROOF_SANDBOX_FAULTS to answer updates late); an undo; and list_updates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const auditDir = mkdtempSync(join(tmpdir(), 'solarproof-demo-'));
const auditLog = join(auditDir, 'audit.jsonl');

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const step = (n: number, title: string) => console.log(`\n${bold(`${n}. ${title}`)}`);
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');

/** The built server as a process, driven by the SDK's client over stdio. */
async function connect(client: Client, args: string[], env: Record<string, string>): Promise<Client> {
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [entry, ...args],
      env: { PATH: process.env.PATH ?? '', SOLARPROOF_LOG_LEVEL: 'error', ...env },
      stderr: 'inherit',
    }),
  );
  return client;
}

const client = new Client({ name: 'solarproof-demo', version: '1.0.0' });

async function call(
  name: string,
  args: Record<string, unknown>,
  via: Client = client,
): Promise<Record<string, any>> {
  console.log(dim(`   → ${name} ${JSON.stringify(args)}`));
  const result = (await via.callTool({ name, arguments: args })) as CallToolResult;
  const data = result.structuredContent as Record<string, any>;
  const first = result.content[0];
  const summary = first?.type === 'text' ? first.text.split('\n')[0] : '';
  console.log(`   ${result.isError ? '✗' : '✓'} ${summary}`);
  return data;
}

/** One line per search match: who, what matched, and the values a change would be about. */
function describeMatch(match: Record<string, any> | undefined): string {
  if (!match) return 'no match';
  const company = match.companyname ? `, ${match.companyname}` : '';
  const gst = match.gststatus === 1 ? 'GST registered' : 'not GST registered';
  return `${match.pkcustomerid} ${match.firstname} ${match.surname}${company} — ${match.match} match on ${match.matched.join(', ')}; phone1 ${match.phone1}; ${gst}`;
}

let late: Client | undefined;
try {
  await connect(client, ['--sandbox'], { SOLARPROOF_AUDIT_LOG: auditLog });
  const server = client.getServerVersion();
  console.log(
    bold(
      `Solar Proof MCP server ${server?.version} — sandbox demo (simulated Solar Proof, no account, nothing leaves this machine)`,
    ),
  );
  step(1, 'The tools the server offers');
  const { tools } = await client.listTools();
  for (const tool of tools) {
    const { readOnlyHint, destructiveHint } = tool.annotations ?? {};
    const hints = readOnlyHint ? 'read-only' : destructiveHint ? 'changes data, idempotent' : 'changes data';
    console.log(`   • ${tool.name} — ${tool.title} (${hints})`);
  }

  step(2, 'The user says: "Mark Smith Solar Solutions as GST registered." Find the customer by company');
  const byCompany = await call('find_customers', { query: 'Smith Solar Solutions' });
  const company = byCompany.customers[0];
  console.log(indent(describeMatch(company)));
  const already = await call('update_customer', {
    pkcustomerid: company.pkcustomerid,
    gststatus: 1,
    expect: { companyname: 'Smith Solar Solutions' },
  });
  console.log(indent(`changed: ${already.changed}; the record already had it, so nothing was sent.`));

  step(3, 'The user says: "Who rang from +61 433 221 908?" (stored as 0433 221 908)');
  const byPhone = await call('find_customers', { query: '+61 433 221 908' });
  console.log(indent(describeMatch(byPhone.customers[0])));

  step(4, 'The user says: "Whose is project 51877?" Look the customer up by project');
  const byProject = await call('get_customer', { projectId: 51877 });
  console.log(
    indent(
      `pkcustomerid ${byProject.customer.pkcustomerid}, ${byProject.customer.firstname} ${byProject.customer.surname}, ${byProject.customer.companyname}; site: ${byProject.project.siteAddress}`,
    ),
  );

  console.log(
    dim(
      `\nThe user says: "John Smith's email is john.smith@example.com. Change his mobile to 0400 999 888."`,
    ),
  );
  step(5, 'Look the customer up by email to learn the id and current values');
  const before = await call('get_customer', { email: 'john.smith@example.com' });
  const customer = before.customer;
  console.log(
    indent(
      `pkcustomerid ${customer.pkcustomerid}, ${customer.firstname} ${customer.surname}; phone1 (mobile) ${customer.phone1}`,
    ),
  );

  const change = {
    pkcustomerid: customer.pkcustomerid,
    phone1: '0400 999 888',
    expect: { email: 'john.smith@example.com' },
  };
  step(6, 'Preview with a dry run: the exact request, nothing sent');
  const preview = await call('update_customer', { ...change, dryRun: true });
  console.log(indent(`${preview.request.method} ${preview.request.url}`));
  console.log(indent(JSON.stringify(preview.request.body)));

  step(7, 'Apply it, with expect = what the user said (only the changed field is sent, then read back)');
  const update = await call('update_customer', change);
  for (const { field, from, to } of update.changes) console.log(indent(`${field}: ${from} → ${to}`));
  console.log(indent(`verified: ${update.verified}; requestId ${update.requestId}`));

  step(8, 'Look again: the change is there, everything else untouched');
  const after = await call('get_customer', { email: 'john.smith@example.com' });
  console.log(
    indent(
      `phone1: ${customer.phone1} → ${after.customer.phone1}    phone2: ${after.customer.phone2} (unchanged)`,
    ),
  );

  step(9, 'Search by the new number: the cached list already has it (the update refreshed it)');
  const refreshed = await call('find_customers', { query: '0400999888' });
  console.log(indent(describeMatch(refreshed.customers[0])));

  step(10, 'A mistyped id (80125 for 79461): expect catches it, nothing is sent');
  const conflict = await call('update_customer', { ...change, pkcustomerid: 80125 });
  console.log(indent(`code ${conflict.code}; the record holds email ${conflict.current.email}`));
  console.log(indent(`hint: ${conflict.hint}`));

  step(11, 'An email that belongs to another customer is refused');
  const taken = await call('update_customer', { pkcustomerid: 79461, email: 'mei.chen@example.net' });
  console.log(
    indent(
      `code ${taken.code}: in use by ${taken.inUseBy.pkcustomerid} ${taken.inUseBy.firstname} ${taken.inUseBy.surname}`,
    ),
  );

  step(12, 'Solar Proof saves an update but answers too late: the outcome is resolved by reading the record');
  console.log(
    dim(
      '   (a second server in sandbox mode with SOLARPROOF_SANDBOX_FAULTS=slow-updates: updates are saved but answered after 30 s; deadline 1.5 s)',
    ),
  );
  late = new Client({ name: 'solarproof-demo-late', version: '1.0.0' });
  await connect(late, ['--sandbox'], {
    SOLARPROOF_SANDBOX_FAULTS: 'slow-updates',
    SOLARPROOF_TIMEOUT_MS: '1500',
    SOLARPROOF_AUDIT_LOG: join(auditDir, 'late-audit.jsonl'),
  });
  await late.listTools();
  const slow = await call('update_customer', { pkcustomerid: 80125, gststatus: 1 }, late);
  console.log(indent(`code ${slow.code}, applied: ${slow.applied}, retryable: ${slow.retryable}`));
  console.log(indent(`hint: ${slow.hint}`));

  step(13, 'The user says: "Undo that mobile change."');
  const undo = await call('undo_update', { requestId: update.requestId });
  for (const { field, from, to } of undo.changes) console.log(indent(`${field}: ${from} → ${to}`));

  step(14, 'What was changed? list_updates reads the audit log, newest first');
  const history = await call('list_updates', { limit: 10 });
  for (const entry of history.updates) {
    const changes = entry.changes.map((c: Record<string, unknown>) => `${c.field} ${c.from} → ${c.to}`);
    const who = `${entry.customer.firstname} ${entry.customer.surname} (${entry.customer.pkcustomerid})`;
    const outcome = `${entry.outcome}${entry.code ? ` ${entry.code}` : ''}`;
    console.log(
      indent(
        `${entry.time}  ${outcome.padEnd(18)} ${who}: ${changes.join('; ') || '—'}${entry.undoOf ? '  (undo)' : ''}`,
      ),
    );
  }

  const ok =
    company?.pkcustomerid === 79461 &&
    already.ok &&
    already.changed === false &&
    byPhone.customers[0]?.pkcustomerid === 80125 &&
    byProject.customer?.pkcustomerid === 81307 &&
    preview.ok &&
    update.ok &&
    update.verified === true &&
    after.customer.phone1 === '0400 999 888' &&
    refreshed.customers[0]?.pkcustomerid === 79461 &&
    conflict.code === 'CONFLICT' &&
    taken.code === 'EMAIL_IN_USE' &&
    slow.code === 'TIMEOUT' &&
    slow.applied === true &&
    undo.ok &&
    undo.changes[0]?.to === '0412345678' &&
    history.updates.length >= 6;
  console.log(
    `\n${bold(ok ? 'Demo complete: every step behaved as expected.' : 'Demo FAILED: a step did not behave as expected.')}`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await late?.close();
  await client.close();
  rmSync(auditDir, { recursive: true, force: true });
}
