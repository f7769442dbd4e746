/**
 * The command line: a few flags, parsed by node:util's parseArgs in strict mode, so a mistyped
 * flag is refused with a message instead of being silently ignored.
 */
import { parseArgs } from 'node:util';

export interface RunOptions {
  /** Run against the built-in simulated Solar Proof. */
  sandbox: boolean;
  /** Serve Streamable HTTP instead of stdio. */
  http: boolean;
  /** Override SOLARPROOF_HTTP_HOST and SOLARPROOF_HTTP_PORT. */
  host?: string;
  port?: string;
}

export type CommandLine =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; options: RunOptions }
  | { kind: 'error'; message: string };

/** Exit status for a command line that cannot be run (the usual one for a usage error). */
export const USAGE_EXIT_CODE = 2;

export const USAGE = `Usage: solarproof-mcp [options]

Serves the Solar Proof tools over MCP: on stdin/stdout by default, or over Streamable HTTP.

Options:
  --sandbox        run against a built-in simulated Solar Proof (no key, nothing leaves the machine)
  --http           serve Streamable HTTP at /mcp instead of stdio
  --host <address> address to listen on with --http (SOLARPROOF_HTTP_HOST, default 127.0.0.1)
  --port <number>  port to listen on with --http, 0 for any free one (SOLARPROOF_HTTP_PORT, default 3000)
  --version        print the version and exit
  --help           print this help and exit

Everything else is set through SOLARPROOF_* environment variables (see the README). The bearer
token for --http is read only from SOLARPROOF_HTTP_TOKEN: a command line is visible to every user.
`;

export function parseCommandLine(argv: readonly string[]): CommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        sandbox: { type: 'boolean' },
        http: { type: 'boolean' },
        host: { type: 'string' },
        port: { type: 'string' },
      },
    }));
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const http = values.http === true;
  for (const name of ['host', 'port'] as const) {
    if (values[name] !== undefined && !http) {
      return { kind: 'error', message: `--${name} applies only with --http.` };
    }
  }
  return {
    kind: 'run',
    options: {
      sandbox: values.sandbox === true,
      http,
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
      ...(typeof values.port === 'string' ? { port: values.port } : {}),
    },
  };
}
