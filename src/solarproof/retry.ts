/** When to try a failed request again, decided without I/O or clocks of its own. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 };

export interface RetryState {
  /** Attempts made so far (1 after the first). */
  attempts: number;
  /** What the upstream asked for (Retry-After), if anything. */
  retryAfterMs?: number | undefined;
  /** Time left before the call's deadline. */
  remainingMs: number;
  /** A number in [0, 1); Math.random by default, fixed in tests. */
  random?: number;
}

/** The delay before the next attempt, or undefined when the failure should be reported now. */
export function nextDelay(policy: RetryPolicy, state: RetryState): number | undefined {
  if (state.attempts >= policy.maxAttempts) return undefined;
  const delay = Math.max(
    state.retryAfterMs ?? 0,
    backoff(policy, state.attempts, state.random ?? Math.random()),
  );
  // Waiting past the deadline would only turn a clear error into a timeout.
  return delay >= state.remainingMs ? undefined : delay;
}

/** Exponential with a cap; half fixed, half random, which spreads out clients that failed together. */
export function backoff(policy: RetryPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random * (ceiling / 2));
}
