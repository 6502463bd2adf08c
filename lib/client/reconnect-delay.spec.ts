import { reconnectDelay, retryAfterDelay } from './reconnect-delay.js';
import { parseRetryAfter, isRetryableStatus } from './retry-after.js';

const policy = (retryMs: number, minDelayMs = 100, maxDelayMs = 30_000) => ({ retryMs, minDelayMs, maxDelayMs });

describe('reconnectDelay', () => {
  it('waits the reconnection time after a stream that worked, spread over [d, 1.5 d], never earlier', () => {
    expect(reconnectDelay(policy(3000), 0, () => 0)).toBe(3000);
    expect(reconnectDelay(policy(3000), 0, () => 1)).toBe(4500);
  });

  it("keeps a server's retry: within the floor and the cap", () => {
    expect(reconnectDelay(policy(0), 0, () => 0)).toBe(100);
    expect(reconnectDelay(policy(3_600_000), 0, () => 1)).toBe(30_000);
    expect(reconnectDelay(policy(0, 0), 0, () => 1)).toBe(0);
  });

  it('doubles after failures in a row, spread over [d/2, d], up to the cap, never under the floor', () => {
    expect(reconnectDelay(policy(1000), 1, () => 1)).toBe(1000);
    expect(reconnectDelay(policy(1000), 3, () => 1)).toBe(4000);
    expect(reconnectDelay(policy(1000), 3, () => 0)).toBe(2000);
    expect(reconnectDelay(policy(1000), 50, () => 1)).toBe(30_000);
    expect(reconnectDelay(policy(10, 100), 1, () => 0)).toBe(100);
  });

  it('spreads 10,000 clients dropped at once over the window instead of one millisecond', () => {
    const delays = new Set(Array.from({ length: 10_000 }, () => reconnectDelay(policy(1000), 0)));
    expect(delays.size).toBeGreaterThan(400);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1500);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates; anything else is no answer', () => {
    const now = Date.parse('Tue, 01 Dec 2026 12:00:00 GMT');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
  });

  it('is kept within the floor and maxRetryAfter, spread a little above what the server asked', () => {
    expect(retryAfterDelay(5000, 100, 60_000, () => 0)).toBe(5000);
    expect(retryAfterDelay(5000, 100, 60_000, () => 1)).toBe(6250);
    expect(retryAfterDelay(3_600_000, 100, 60_000, () => 1)).toBe(60_000);
    expect(retryAfterDelay(0, 100, 60_000, () => 0)).toBe(100);
  });

  it('retries 408, 429 and 5xx but 501; every other status is final', () => {
    expect([408, 429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 418, 501].some(isRetryableStatus)).toBe(false);
  });
});
