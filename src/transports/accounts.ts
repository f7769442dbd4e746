/**
 * HTTP mode for an integrator serving several Solar Proof accounts: each request brings its own key
 * in a header (SOLARPROOF_HTTP_KEY_HEADER). The key lives only as long as its request: the request
 * gets its own client (on the shared connection pool), redactor and logger, and nothing keeps it
 * afterwards. What must outlive the request (audit records, and any per-account state) is keyed by
 * the account's fingerprint, never by the key.
 */

import type { Dispatcher } from 'undici';
import { keyFingerprint } from '../audit/history.js';
import type { AuditSink } from '../audit/log.js';
import type { Config } from '../config.js';
import { ToolError } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../logger.js';
import { USER_AGENT } from '../package-info.js';
import { createRedactor, type Redactor } from '../redact.js';
import { poolOptions, SolarProofClient } from '../solarproof/client.js';
import { CustomerDirectory } from '../solarproof/customer-directory.js';
import { preloadHttp } from '../solarproof/undici.js';
import type { Mode, ToolContext } from '../tools/define.js';

/** Longer header values are refused: no Solar Proof key is anywhere near this long. */
const MAX_KEY_LENGTH = 512;

/** The key from the header's values: exactly one, visible ASCII and spaces, at most MAX_KEY_LENGTH. */
export function checkKeyHeader(values: string[] | undefined, header: string): string | { problem: string } {
  if (values === undefined || values.length === 0) {
    return {
      problem: `This server serves several Solar Proof accounts: send the account's API key in the ${header} header.`,
    };
  }
  const key = values.length === 1 ? values[0]?.trim() : undefined;
  if (key === undefined || key === '' || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    return {
      problem: `The ${header} header must hold one Solar Proof API key (printable ASCII, at most ${MAX_KEY_LENGTH} characters).`,
    };
  }
  return key;
}

/** The shared audit log, with the request's key redacted (each record names its account by keyId). */
function accountAudit(sink: AuditSink, redact: Redactor): AuditSink {
  return {
    // The history tools read the same file, scoped to this account's keyId.
    path: sink.path,
    append: (record, limits) => sink.append(JSON.parse(redact(JSON.stringify(record))), limits),
    // The shared log is closed by its owner, once, not by each request.
    close: async () => {},
  };
}

export interface AccountsOptions {
  config: Config;
  mode: Mode;
  logLevel: LogLevel;
  /** Where log lines go (stderr). */
  sink: { write(chunk: string): unknown };
  /** Every other secret the redactor must know (the bearer token). */
  secrets: ReadonlyArray<string | undefined>;
  audit: AuditSink;
}

/** Accounts whose customer directory (cache and id-lookup state) is kept; the least recently used goes first. */
const MAX_ACCOUNTS_KEPT = 100;

/**
 * What outlives a request, per account: its customer directory. The directory asks for a client at
 * each use and gets one of the requests in flight for that account (they hold the same key); it
 * never holds a key of its own.
 */
interface AccountState {
  directory: CustomerDirectory;
  clients: SolarProofClient[];
}

export class Accounts {
  readonly #options: AccountsOptions;
  readonly #pool: Dispatcher;
  readonly #states = new Map<string, AccountState>();

  private constructor(options: AccountsOptions, pool: Dispatcher) {
    this.#options = options;
    this.#pool = pool;
  }

  static async create(options: AccountsOptions): Promise<Accounts> {
    const { Agent } = await preloadHttp();
    return new Accounts(options, new Agent(poolOptions(options.config.timeoutMs)));
  }

  /**
   * The context of one request made with `key`; it holds the key, so it must not outlive the
   * request: call `release` when the request has ended.
   */
  contextFor(key: string): { context: ToolContext; logger: Logger; redact: Redactor; release(): void } {
    const { config, mode, logLevel, sink, secrets, audit } = this.#options;
    // The account is known by its key's fingerprint (the keyId every audit record carries), never by the key.
    const account = keyFingerprint(key) as string;
    const redact = createRedactor([key, ...secrets]);
    const logger = withFields(createLogger(logLevel, redact, sink), { keyId: account });
    const client = new SolarProofClient({
      ...config,
      apiKey: key,
      userAgent: USER_AGENT,
      logger,
      redact,
      dispatcher: this.#pool,
    });
    const state = this.#state(account, logger);
    state.clients.push(client);
    const context: ToolContext = {
      config,
      mode,
      logger,
      redact,
      audit: accountAudit(audit, redact),
      keyId: account,
      customers: state.directory,
      client() {
        if (config.problems.length > 0) throw new ToolError('CONFIGURATION', config.problems.join(' '));
        return client;
      },
    };
    const release = () => {
      const at = state.clients.indexOf(client);
      if (at !== -1) state.clients.splice(at, 1);
    };
    return { context, logger, redact, release };
  }

  #state(account: string, logger: Logger): AccountState {
    let state = this.#states.get(account);
    if (state) this.#states.delete(account);
    else {
      const clients: SolarProofClient[] = [];
      const directory = new CustomerDirectory({
        config: this.#options.config,
        logger,
        client: () => {
          const client = clients.at(-1);
          if (!client) throw new ToolError('INTERNAL', 'No request of this account is in flight.');
          return client;
        },
      });
      state = { directory, clients };
    }
    // Re-inserted, so the Map's order is least recently used first.
    this.#states.set(account, state);
    for (const [oldest, kept] of this.#states) {
      if (this.#states.size <= MAX_ACCOUNTS_KEPT) break;
      if (kept.clients.length === 0) this.#states.delete(oldest);
    }
    return state;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function withFields(logger: Logger, extra: Record<string, unknown>): Logger {
  return {
    debug: (message, fields) => logger.debug(message, { ...fields, ...extra }),
    info: (message, fields) => logger.info(message, { ...fields, ...extra }),
    warn: (message, fields) => logger.warn(message, { ...fields, ...extra }),
    error: (message, fields) => logger.error(message, { ...fields, ...extra }),
  };
}
