import type { Redactor } from './redact.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A line's fields, or a function that makes them: called only when the line is written. */
export type LogFields = Record<string, unknown> | (() => Record<string, unknown>);

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

interface Sink {
  write(chunk: string): unknown;
}

/**
 * In stdio mode stdout carries JSON-RPC and nothing else, so logs go to stderr (hosts such as
 * Claude Desktop collect it into their MCP log files). One JSON object per line keeps the log
 * greppable and machine-readable; every line passes through the redactor last.
 */
export function createLogger(level: LogLevel, redact: Redactor, sink: Sink = process.stderr): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return;
    const made = typeof fields === 'function' ? fields() : fields;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...made });
    sink.write(`${redact(line)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
