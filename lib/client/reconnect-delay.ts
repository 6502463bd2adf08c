/** How long to wait before the next connection attempt, and an abortable wait. */

/**
 * After a stream ends (or breaks) the spec waits the reconnection time, `retryMs`, as is. After
 * failed attempts in a row the wait doubles each time up to `maxDelayMs`, with jitter in
 * [d/2, d] so that many clients dropped at once by a restart do not come back in lockstep.
 */
export function reconnectDelay(retryMs: number, failures: number, maxDelayMs: number, random: () => number = Math.random): number {
  if (failures <= 0) return retryMs;
  const exponential = Math.min(maxDelayMs, retryMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** Resolves after `ms`, or as soon as `signal` aborts (then it resolves too: the caller checks why). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
