/** How long to wait before the next connection attempt, and an abortable wait. Pure but for `sleep`. */

export interface ReconnectPolicy {
  /** The reconnection time in effect: the server's `retry:`, else the `retry` option. */
  readonly retryMs: number;
  /** No wait is shorter (a server sending `retry: 0` cannot make clients spin). */
  readonly minDelayMs: number;
  /** No wait is longer (a server's `retry:` and the backoff are capped). */
  readonly maxDelayMs: number;
}

/**
 * After a stream that delivered events ends (or breaks), the spec waits the reconnection time; it
 * is kept within [min, max] and spread over [d, 1.5 d], never earlier than asked, so that the
 * clients of a restarting server do not all come back in the same millisecond. After failed
 * attempts in a row (no response, a retryable status, a stream that ended without an event) the
 * wait doubles each time up to max, spread over [d/2, d].
 */
export function reconnectDelay(policy: ReconnectPolicy, failures: number, random: () => number = Math.random): number {
  const { minDelayMs, maxDelayMs } = policy;
  const base = clamp(policy.retryMs, minDelayMs, maxDelayMs);
  if (failures <= 0) return Math.round(Math.min(maxDelayMs, base + (random() * base) / 2));
  const exponential = Math.min(maxDelayMs, base * 2 ** Math.min(failures - 1, 30));
  return Math.round(Math.max(minDelayMs, exponential / 2 + (random() * exponential) / 2));
}

/** A server's `Retry-After` wait (already parsed), kept within [min, maxRetryAfter] and spread over [d, 1.25 d]. */
export function retryAfterDelay(
  retryAfterMs: number,
  minDelayMs: number,
  maxRetryAfterMs: number,
  random: () => number = Math.random,
): number {
  const base = clamp(retryAfterMs, minDelayMs, maxRetryAfterMs);
  return Math.round(Math.min(maxRetryAfterMs, base + (random() * base) / 4));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
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
