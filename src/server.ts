import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { keyFingerprint } from './audit/history.js';
import { AuditLog, type AuditSink, noAudit } from './audit/log.js';
import type { Config } from './config.js';
import { ToolError } from './errors.js';
import { CallsInFlight, CLOSE_MS, type DrainReport, SHUTDOWN_GRACE_MS, settledWithin } from './lifecycle.js';
import type { Logger } from './logger.js';
import { PACKAGE_NAME, PACKAGE_VERSION, USER_AGENT } from './package-info.js';
import { createRedactor, type Redactor } from './redact.js';
import type { SolarProofClient } from './solarproof/client.js';
import type { CustomerDirectory } from './solarproof/customer-directory.js';
import type { Mode, ToolContext } from './tools/define.js';
import { loadedRuntime, registerTools } from './tools/register.js';

const INSTRUCTIONS = [
  'Tools for Solar Proof, an Australian CRM for solar installers.',
  'To change a customer: find them with get_customer (by email, id or project) or, with only a name, phone or company, find_customers, to learn pkcustomerid;',
  'then call update_customer with the new values and expect (what the user told you, such as the email), so a wrong id is refused; preview with dryRun=true when unsure and confirm with the user.',
  'list_updates shows what was changed; undo_update reverses an update, only when the user asks.',
  'Never invent values you were not given.',
  'Every result has ok; on failure follow its hint, and retry only when retryable is true.',
].join(' ');

export interface SolarProofServer {
  server: Server;
  context: ToolContext;
  /** The tool calls in flight (shared with other servers when given in the options). */
  calls: CallsInFlight;
  /**
   * Closes the connection, and the HTTP pool and the audit log unless they were given in the
   * options, at once: calls in flight are aborted.
   */
  close(): Promise<void>;
  /**
   * Stops taking calls, lets those in flight finish within `graceMs` (then cancels the rest), and
   * closes, giving the close CLOSE_MS. `closed` is false when something (a hung audit write) did not.
   */
  shutdown(graceMs?: number): Promise<ShutdownReport>;
}

export interface ShutdownReport extends DrainReport {
  closed: boolean;
}

export interface ServerOptions {
  logger: Logger;
  redact?: Redactor;
  mode?: Mode;
  /** Where audit records go; by default the file named by the config (or nowhere when it is off). */
  audit?: AuditSink;
  /** Tracks tool calls for shutdown; pass one tracker to every server of a process. */
  calls?: CallsInFlight;
  /** Refuse requests other than ping before initialize (default true; off for stateless HTTP). */
  requireInitialize?: boolean;
  /** A context shared with other servers (createToolResources); its owner closes it, not this server. */
  context?: ToolContext;
}

/** What the tools share: one client (one connection pool), one audit log, one redactor. */
export interface ToolResources {
  context: ToolContext;
  /** Closes the HTTP pool and the audit log. */
  close(): Promise<void>;
}

/**
 * The context every tool call of a server gets. A transport that builds a server per request
 * (stateless HTTP) builds this once and hands it to each server, so they share one pool and one
 * audit log instead of opening their own.
 */
export function createToolResources(
  config: Config,
  options: Pick<ServerOptions, 'logger' | 'redact' | 'mode' | 'audit'>,
): ToolResources {
  const redact = options.redact ?? createRedactor([config.apiKey]);
  const audit: AuditSink =
    options.audit ?? (config.auditLog ? new AuditLog(config.auditLog, redact) : noAudit);
  let client: SolarProofClient | undefined;
  let customers: CustomerDirectory | undefined;
  let keyId: { value: string | undefined } | undefined;

  const context: ToolContext = {
    config,
    mode: options.mode ?? 'live',
    logger: options.logger,
    redact,
    audit,
    // Computed when first needed: hashing loads node:crypto, which start-up need not pay for.
    get keyId() {
      keyId ??= { value: keyFingerprint(config.apiKey) };
      return keyId.value;
    },
    client() {
      if (config.problems.length > 0) {
        throw new ToolError('CONFIGURATION', config.problems.join(' '));
      }
      if (config.apiKey === undefined) {
        throw new ToolError(
          'CONFIGURATION',
          'SOLARPROOF_API_KEY is not set, so nothing was sent to Solar Proof. Add it to the "env" block of this server’s entry in the MCP host configuration (for Claude Desktop, claude_desktop_config.json: "env": { "SOLARPROOF_API_KEY": "<your key>" }) and restart the host. The key is in Solar Proof under Settings → API.',
        );
      }
      // Only a tool asks for the client, and tools/call loads the runtime before it runs one.
      client ??= new (loadedRuntime().SolarProofClient)({
        ...config,
        apiKey: config.apiKey,
        userAgent: USER_AGENT,
        logger: options.logger,
        redact,
      });
      return client;
    },
    // Reaches Solar Proof through client() above, so its CONFIGURATION checks apply to every lookup.
    get customers() {
      customers ??= new (loadedRuntime().CustomerDirectory)({
        config,
        client: () => context.client(),
        logger: options.logger,
      });
      return customers;
    },
  };
  return {
    context,
    async close() {
      await client?.close();
      await audit.close();
    },
  };
}

/** Builds the MCP server from a config; the caller chooses the transport. */
export function createServer(config: Config, options: ServerOptions): SolarProofServer {
  // Given resources belong to the caller, who closes them; otherwise this server owns its own.
  const owned = options.context === undefined ? createToolResources(config, options) : undefined;
  const context = options.context ?? (owned as ToolResources).context;

  const server = new Server(
    { name: PACKAGE_NAME, title: 'Solar Proof', version: PACKAGE_VERSION },
    {
      capabilities: { tools: {} },
      instructions: INSTRUCTIONS,
      // The SDK validates elicitation answers with Ajv, built eagerly at start-up by default.
      // This server never elicits, so it gets a validator that says so instead.
      jsonSchemaValidator: {
        getValidator() {
          throw new Error('solarproof-mcp does not use elicitation, so it has no JSON Schema validator.');
        },
      },
    },
  );
  const calls = options.calls ?? new CallsInFlight();
  registerTools(server, context, { calls, requireInitialize: options.requireInitialize ?? true });

  const close = async () => {
    await server.close();
    await owned?.close();
  };
  return {
    server,
    context,
    calls,
    close,
    async shutdown(graceMs = SHUTDOWN_GRACE_MS) {
      const drained = await calls.drain(graceMs);
      // The close waits for queued audit records; a hung disk must not hold the shutdown with it.
      const closed = await settledWithin([close()], CLOSE_MS);
      return { ...drained, closed };
    },
  };
}
