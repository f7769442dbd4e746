/**
 * How the server stops, the same for every transport: take no new calls, give the calls in flight
 * one grace period to finish (so their real outcomes reach the client and the audit log), cancel
 * what is left, then end the process, even when a write is stuck in the kernel.
 */
import type { Logger } from './logger.js';

/** How long calls in flight get to finish once shutdown begins. */
export const SHUTDOWN_GRACE_MS = 5_000;

/** After the grace, how long the cancelled calls get to record their outcome and answer. */
export const CANCEL_SETTLE_MS = 1_000;

/** How long closing the connection, the HTTP pool and the audit file may take after the calls. */
export const CLOSE_MS = 1_000;

export interface DrainReport {
  /** Calls that finished on their own during the grace. */
  finished: number;
  /** Calls still running when the grace ended, which were then cancelled. */
  cancelled: number;
  /** Cancelled calls that had not settled CANCEL_SETTLE_MS later (stuck in I/O). */
  unsettled: number;
}

interface Running {
  abort(): void;
  settled: Promise<unknown>;
}

/**
 * The tool calls in flight. Every transport runs each call through `run`; on shutdown `drain`
 * refuses new calls, waits for the running ones up to the grace, aborts the rest (their handlers
 * see an aborted signal, which makes their outcome CANCELLED) and waits briefly for them to settle.
 * One tracker can be shared by several MCP server instances (one per HTTP session).
 */
export class CallsInFlight {
  readonly #running = new Set<Running>();
  #draining: Promise<DrainReport> | undefined;

  /** False once shutdown has begun. */
  get accepting(): boolean {
    return this.#draining === undefined;
  }

  get size(): number {
    return this.#running.size;
  }

  /**
   * Runs one call. Its signal aborts when `signal` does (the client cancelled) or when the grace
   * ends. Throws ShuttingDownError, without running anything, once shutdown has begun.
   */
  run<T>(signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.accepting) return Promise.reject(new ShuttingDownError());
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    let result: Promise<T>;
    try {
      result = call(controller.signal);
    } catch (error) {
      result = Promise.reject(error);
    }
    const running: Running = {
      abort: () => controller.abort(new ShuttingDownError()),
      settled: result.then(
        () => {},
        () => {},
      ),
    };
    this.#running.add(running);
    void running.settled.then(() => {
      this.#running.delete(running);
      signal?.removeEventListener('abort', forward);
    });
    return result;
  }

  /** Stops taking calls and ends the ones in flight; calling it again returns the same drain. */
  drain(graceMs = SHUTDOWN_GRACE_MS, settleMs = CANCEL_SETTLE_MS): Promise<DrainReport> {
    this.#draining ??= this.#drain(graceMs, settleMs);
    return this.#draining;
  }

  async #drain(graceMs: number, settleMs: number): Promise<DrainReport> {
    const started = this.#running.size;
    await settledWithin(
      [...this.#running].map((call) => call.settled),
      graceMs,
    );
    const left = [...this.#running];
    for (const call of left) call.abort();
    await settledWithin(
      left.map((call) => call.settled),
      settleMs,
    );
    return { finished: started - left.length, cancelled: left.length, unsettled: this.#running.size };
  }
}

export class ShuttingDownError extends Error {
  constructor() {
    super('The server is shutting down and takes no new calls.');
    this.name = 'ShuttingDownError';
  }
}

/** Resolves when every promise has settled or `ms` has passed, whichever is first; true if all settled. */
export async function settledWithin(promises: Iterable<Promise<unknown>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.allSettled(promises).then(() => true);
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([all, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Work Node hands to libuv's thread pool. process.exit() joins the pool's threads, so one of these
 * stuck in the kernel (a write to a full pipe or a dead network share, a DNS lookup that never
 * returns) would keep the process alive after it has "exited".
 */
const THREAD_POOL_WORK = /^(?:FSReq|GetAddrInfoReqWrap$|GetNameInfoReqWrap$)/;

export function threadPoolWork(): string[] {
  // getActiveResourcesInfo is marked experimental; without it, assume the pool is idle.
  return process.getActiveResourcesInfo?.().filter((name) => THREAD_POOL_WORK.test(name)) ?? [];
}

/**
 * Ends the process. Normally process.exit(code). When thread-pool work is still outstanding (after
 * waiting `waitMs` for it), exiting would wait for it forever, so the process ends itself with
 * SIGTERM's default action instead: the kernel then ends every thread, including one blocked in an
 * interruptible write. (A write the kernel cannot interrupt, on a hard-mounted share, holds even that.)
 */
export async function exitProcess(code: number, logger: Logger, waitMs = 200): Promise<never> {
  const deadline = performance.now() + waitMs;
  let stuck = threadPoolWork();
  while (stuck.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stuck = threadPoolWork();
  }
  if (stuck.length === 0) process.exit(code);
  logger.warn('file or DNS work is stuck in the kernel; ending the process by signal', { stuck });
  process.removeAllListeners('SIGTERM');
  process.kill(process.pid, 'SIGTERM');
  // Should SIGTERM be blocked or ignored by whoever started us, nothing is left but SIGKILL.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
