/** The tracker of calls in flight that every transport's shutdown goes through (issue 7, item 6). */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CallsInFlight, ShuttingDownError, settledWithin, threadPoolWork } from '../src/lifecycle.js';

/** A call that resolves after `ms`, or rejects as soon as its signal aborts. */
function work(ms: number, value: string) {
  return (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      const cancel = () => {
        clearTimeout(timer);
        reject(new Error(`cancelled: ${String(signal.reason)}`));
      };
      const timer = setTimeout(() => resolve(value), ms);
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel);
    });
}

describe('CallsInFlight', () => {
  it('drains at once when nothing runs', async () => {
    const calls = new CallsInFlight();
    expect(await calls.drain(10_000)).toEqual({ finished: 0, cancelled: 0, unsettled: 0 });
  });

  it('lets the calls in flight finish within the grace, with their own results', async () => {
    const calls = new CallsInFlight();
    const running = [1, 2, 3].map((i) => calls.run(undefined, work(30 * i, `r${i}`)));
    expect(calls.size).toBe(3);
    const report = await calls.drain(5_000);
    expect(report).toEqual({ finished: 3, cancelled: 0, unsettled: 0 });
    expect(await Promise.all(running)).toEqual(['r1', 'r2', 'r3']);
    expect(calls.size).toBe(0);
  });

  it('refuses new calls once draining, without running them', async () => {
    const calls = new CallsInFlight();
    const first = calls.run(undefined, work(50, 'first'));
    const drained = calls.drain(5_000);
    expect(calls.accepting).toBe(false);
    let ran = false;
    await expect(
      calls.run(undefined, async () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(ShuttingDownError);
    expect(ran).toBe(false);
    expect(await first).toBe('first');
    expect(calls.drain()).toBe(drained);
  });

  it('aborts what outlasts the grace, with a ShuttingDownError reason, and reports it', async () => {
    const calls = new CallsInFlight();
    const quick = calls.run(undefined, work(10, 'quick'));
    const slow = calls.run(undefined, work(60_000, 'slow'));
    const started = performance.now();
    const report = await calls.drain(100, 5_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(report).toEqual({ finished: 1, cancelled: 1, unsettled: 0 });
    expect(await quick).toBe('quick');
    await expect(slow).rejects.toThrow(/cancelled: ShuttingDownError/);
  });

  it('gives up on a cancelled call that ignores its signal after the settle time', async () => {
    const calls = new CallsInFlight();
    void calls.run(undefined, () => new Promise(() => {}));
    expect(await calls.drain(20, 20)).toEqual({ finished: 0, cancelled: 1, unsettled: 1 });
  });

  it("forwards the client's cancellation to the call", async () => {
    const calls = new CallsInFlight();
    const client = new AbortController();
    const call = calls.run(client.signal, work(60_000, 'never'));
    client.abort('client said stop');
    await expect(call).rejects.toThrow(/client said stop/);
    expect(calls.size).toBe(0);
  });

  it('counts a call that throws synchronously as settled', async () => {
    const calls = new CallsInFlight();
    await expect(
      calls.run(undefined, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(calls.size).toBe(0);
  });
});

describe('settledWithin', () => {
  it('says whether everything settled in time', async () => {
    expect(await settledWithin([sleep(5), Promise.reject(new Error('x'))], 1_000)).toBe(true);
    expect(await settledWithin([new Promise(() => {})], 20)).toBe(false);
  });
});

describe('threadPoolWork', () => {
  it('sees a file operation in flight, and nothing once it is done', async () => {
    const reading = readFile(new URL(import.meta.url));
    expect(threadPoolWork().some((name) => name.startsWith('FSReq'))).toBe(true);
    await reading;
    expect(threadPoolWork()).toEqual([]);
  });
});
