/**
 * The server's own error catalogue and its one error: every way a tool call can fail, each with a
 * stable code agent workflows can branch on, whether repeating the same call can help, and the
 * default hint that tells an AI assistant what to do next. A tool may give its own advice for a
 * code (a lookup is not an update: see `hints` in tools/define.ts), and a failure may carry advice
 * made for its very situation (`details.hint`).
 *
 * Codes Solar Proof documents keep its names (solarproof/errors.ts lists what the wire can say);
 * the rest are this server's own.
 */
export const ERROR_CATALOG = {
  // Documented by Solar Proof.
  INVALID_API_KEY: {
    retryable: false,
    hint: 'Solar Proof rejected the API key. Retrying will not help: ask the user to set a valid SOLARPROOF_API_KEY in this MCP server’s configuration (Solar Proof → Settings → API) and restart the server.',
  },
  INVALID_PARAMETERS: {
    retryable: false,
    hint: 'Solar Proof rejected the request’s parameters. Check that pkcustomerid is the customer’s numeric id and that every field value is valid, then call again with corrected arguments; do not repeat the same call.',
  },
  CUSTOMER_NOT_FOUND: {
    retryable: false,
    hint: 'No customer has this id. Check the id with the user, or look the customer up by email with the get_customer tool to find the right pkcustomerid. Do not retry with the same id.',
  },
  PERMISSION_DENIED: {
    retryable: false,
    hint: 'The Solar Proof user behind this API key may not change this customer. Tell the user; an account administrator must grant access. Retrying will not help.',
  },
  UPDATE_FAILED: {
    retryable: true,
    hint: 'Solar Proof failed to save the update on its side. The update is idempotent, so calling again once with the same arguments is safe; if it fails again, tell the user and stop.',
  },
  // Solar Proof answered with an error code it does not document.
  UPSTREAM_ERROR: {
    retryable: false,
    hint: 'Solar Proof returned an error this server does not know (see upstreamCode and message). Report it to the user in their words; do not retry blindly.',
  },
  // Raised before anything is sent.
  CONFIGURATION: {
    retryable: false,
    hint: 'This MCP server is not configured correctly; nothing was sent. Tell the user what the message says: the setting must be fixed in the server’s configuration (the "env" block of its mcpServers entry) and the host restarted.',
  },
  INVALID_ARGUMENTS: {
    retryable: false,
    hint: 'The arguments were refused before anything was sent to Solar Proof. Fix the fields listed in issues and call again; ask the user for any value you do not know rather than inventing one.',
  },
  CONFLICT: {
    retryable: false,
    hint: 'The record does not have the values you expected (see current), so nothing was sent: the id may be mistyped, or someone changed the record since you looked. Tell the user what it holds now, look the customer up again (get_customer), and update only once the user confirms.',
  },
  EMAIL_IN_USE: {
    retryable: false,
    hint: 'Another customer already has this email (see inUseBy), and an email must be unique to one customer, so nothing was sent. Tell the user; ask whether the address is right, or whether the other record should change first.',
  },
  AUDIT_UNAVAILABLE: {
    retryable: false,
    hint: 'The update was refused because the audit log could not be written, and a change with no record is worse than no change; nothing was sent to Solar Proof. Tell the user to make the audit log writable (free disk space, permissions) or to change SOLARPROOF_AUDIT_LOG (a writable file path, or "off" to disable auditing; a changed setting needs a restart). The server tries the log again on the next update.',
  },
  // Transport and response problems.
  TIMEOUT: {
    retryable: true,
    hint: 'Solar Proof did not answer in time. The update may or may not have been applied; it is idempotent, so calling again with the same arguments is safe. If it keeps timing out, tell the user Solar Proof seems slow or down.',
  },
  CANCELLED: {
    retryable: true,
    hint: 'The call was cancelled before Solar Proof answered. The update may or may not have been applied; repeat it with the same arguments if it is still wanted.',
  },
  NETWORK: {
    retryable: true,
    hint: 'Solar Proof could not be reached (connection failed). Check the network or SOLARPROOF_BASE_URL; calling again later with the same arguments is safe.',
  },
  RATE_LIMITED: {
    retryable: true,
    hint: 'Solar Proof is rate-limiting requests. Wait (see retryAfterSeconds when present) before calling again, and avoid bursts of calls.',
  },
  UPSTREAM_UNAVAILABLE: {
    retryable: true,
    hint: 'Solar Proof is temporarily unavailable (HTTP 502/503/504) and did not recover within the retries. Try again in a minute; if it persists, tell the user.',
  },
  UPSTREAM_SERVER_ERROR: {
    retryable: true,
    hint: 'Solar Proof had a server error (HTTP 5xx) and sent no documented error code. The update was probably not applied; it is idempotent, so calling again once later is safe. If it persists, tell the user.',
  },
  UPSTREAM_HTTP_ERROR: {
    retryable: false,
    hint: 'Solar Proof refused the request with an HTTP error and no documented error code. Do not repeat it unchanged; tell the user what the message says.',
  },
  REDIRECT_REFUSED: {
    retryable: false,
    hint: 'Solar Proof answered with a redirect, which this server never follows because the API key travels in the query string. Check SOLARPROOF_BASE_URL (it should be https://solarproof.com.au) and tell the user.',
  },
  UNEXPECTED_RESPONSE: {
    retryable: false,
    hint: 'Solar Proof answered in a shape this server does not recognise, so the outcome is unknown. Verify the customer’s current values before trying again.',
  },
  RESPONSE_TOO_LARGE: {
    retryable: false,
    hint: 'Solar Proof sent a response larger than this server accepts, so it was cut off and the outcome is unknown. Verify the customer’s current values before trying again.',
  },
  INTERNAL: {
    retryable: false,
    hint: 'This MCP server hit an unexpected internal error. Tell the user; the server log (stderr) has details.',
  },
} as const satisfies Record<string, { retryable: boolean; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

export interface ArgumentIssue {
  path: string;
  message: string;
}

/** Everything a failure says besides its code and message; each field goes into the result as is. */
export interface ErrorDetails {
  /** The HTTP status Solar Proof answered with, if it answered. */
  httpStatus?: number;
  /** The code exactly as Solar Proof sent it, when it is not one of ours. */
  upstreamCode?: string;
  retryAfterSeconds?: number;
  issues?: ArgumentIssue[];
  /** HTTP attempts made, retries included. */
  attempts?: number;
  /** The audit log's id for the update this error ended, so the two can be matched. */
  requestId?: string;
  /** Advice made for this very situation; otherwise the tool's advice for the code, or the catalogue's. */
  hint?: string;
  /** Overrides the catalogue's: an uncertain update read back as applied needs no retry. */
  retryable?: boolean;
  /**
   * Fields of the tool's own result that explain this failure: CONFLICT's `current`, EMAIL_IN_USE's
   * `inUseBy`, an uncertain update's `applied`. The tool's output schema must allow them.
   */
  data?: Readonly<Record<string, unknown>>;
}

/** One failure, immutable: `with` makes a copy that knows more (attempts, requestId, ...). */
export class ToolError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<ErrorDetails>;

  constructor(
    code: ErrorCode,
    message: string,
    { cause, ...details }: ErrorDetails & { cause?: unknown } = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ToolError';
    this.code = code;
    // Only what is known: an absent detail is no key at all, so results can spread `details` as is.
    this.details = Object.freeze(
      Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined)),
    ) as ErrorDetails;
  }

  get retryable(): boolean {
    return this.details.retryable ?? ERROR_CATALOG[this.code].retryable;
  }

  /** A copy that knows more; `data` is merged into what it carries, and the message may be restated. */
  with(more: ErrorDetails, message = this.message): ToolError {
    const data = this.details.data || more.data ? { ...this.details.data, ...more.data } : undefined;
    return new ToolError(this.code, message, { ...this.details, ...more, data, cause: this.cause });
  }
}

/** Anything thrown, as a ToolError: what is not one already is a bug of this server (INTERNAL). */
export function asToolError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  return new ToolError('INTERNAL', 'Unexpected internal error in the Solar Proof MCP server.', {
    cause: error,
  });
}
