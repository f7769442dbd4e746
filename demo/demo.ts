/**
 * `npm run demo`: the whole job with no Solar Proof account. Starts the built server in sandbox
 * mode over stdio, drives it with the MCP SDK's own client exactly as Claude Desktop would, and
 * prints a readable transcript: the tools; finding customers by company, by a phone number written
 * differently from the record, and by project; a lookup by email, a dry-run preview, the update, a
 * second lookup that shows the change, a search the update kept fresh, an error with its hint, and
 * the audit records written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [entry, '--sandbox'],
  env: { PATH: process.env.PATH ?? '', SOLARPROOF_AUDIT_LOG: auditLog, SOLARPROOF_LOG_LEVEL: 'error' },
  stderr: 'inherit',
});
const client = new Client({ name: 'solarproof-demo', version: '1.0.0' });

async function call(name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  console.log(dim(`   → ${name} ${JSON.stringify(args)}`));
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
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

try {
  await client.connect(transport);
  const server = client.getServerVersion();
  console.log(
    bold(
      `Solar Proof MCP server ${server?.version} — sandbox demo (simulated Solar Proof, no account, nothing leaves this machine)`,
    ),
  );
  step(1, 'The tools the server offers');
  const { tools } = await client.listTools();
  for (const tool of tools) {
    const hints = tool.annotations?.readOnlyHint ? 'read-only' : 'changes data, idempotent';
    console.log(`   • ${tool.name} — ${tool.title} (${hints})`);
  }

  step(2, 'The user says: "Mark Smith Solar Solutions as GST registered." Find the customer by company');
  const byCompany = await call('find_customers', { query: 'Smith Solar Solutions' });
  const company = byCompany.customers[0];
  console.log(indent(describeMatch(company)));
  console.log(
    indent(
      company.gststatus === 1
        ? `Already GST registered (gststatus 1): nothing to change, so nothing is sent; the assistant tells the user.`
        : `Not GST registered yet: update_customer { pkcustomerid: ${company.pkcustomerid}, gststatus: 1 } would change it.`,
    ),
  );

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
      `pkcustomerid ${customer.pkcustomerid}, ${customer.firstname} ${customer.surname}, ${customer.type}`,
    ),
  );
  console.log(
    indent(
      `phone1 (mobile): ${customer.phone1}    phone2: ${customer.phone2}    GST: ${customer.gststatus === 1 ? 'registered' : 'not registered'}`,
    ),
  );

  step(6, 'Preview the change with a dry run: the exact request, nothing sent');
  const preview = await call('update_customer', {
    pkcustomerid: customer.pkcustomerid,
    phone1: '0400 999 888',
    dryRun: true,
  });
  console.log(indent(`${preview.request.method} ${preview.request.url}`));
  console.log(indent(JSON.stringify(preview.request.body)));

  step(7, 'Apply the update (only the changed field is sent)');
  const update = await call('update_customer', {
    pkcustomerid: customer.pkcustomerid,
    phone1: '0400 999 888',
  });
  console.log(
    indent(
      `Solar Proof said "${update.message}"; fields sent: ${update.fieldsSent.join(', ')}; requestId ${update.requestId}`,
    ),
  );

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

  step(10, 'A mistake: an id that does not exist');
  const failure = await call('update_customer', { pkcustomerid: 12345, phone1: '0400 999 888' });
  console.log(indent(`code ${failure.code} (retryable: ${failure.retryable})`));
  console.log(indent(`hint: ${failure.hint}`));

  step(11, 'The audit log (one JSON line before each request, one after)');
  for (const line of readFileSync(auditLog, 'utf8').trim().split('\n')) {
    const record = JSON.parse(line);
    const detail =
      record.event === 'update_requested' ? JSON.stringify(record.fields) : (record.code ?? record.outcome);
    console.log(
      indent(`${record.time}  ${record.event.padEnd(16)} customer ${record.customerId}  ${detail}`),
    );
  }

  const ok =
    company?.pkcustomerid === 79461 &&
    byPhone.customers[0]?.pkcustomerid === 80125 &&
    byProject.customer?.pkcustomerid === 81307 &&
    refreshed.customers[0]?.pkcustomerid === 79461 &&
    before.ok &&
    preview.ok &&
    update.ok &&
    after.customer.phone1 === '0400 999 888' &&
    failure.code === 'CUSTOMER_NOT_FOUND';
  console.log(
    `\n${bold(ok ? 'Demo complete: every step behaved as expected.' : 'Demo FAILED: a step did not behave as expected.')}`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await client.close();
  rmSync(auditDir, { recursive: true, force: true });
}
