/** The small JSON event every competitor publishes, and the clock both sides of a run read. */

/** Wall-clock milliseconds with sub-millisecond precision; the same clock in every process of the machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One published event. `t` is read right before publishing, so a client computes publish-to-receive latency. */
export interface BenchEvent {
  seq: number;
  t: number;
  symbol: string;
  price: number;
}

export function makeBenchEvent(seq: number): BenchEvent {
  return { seq, t: nowMs(), symbol: 'ACME', price: 100 + (seq % 100) / 4 };
}

/** Query of the single-stream route: stop after `count` events or `ms` milliseconds, whichever comes first. */
export interface SingleStreamLimits {
  count: number;
  ms: number;
}

export function readSingleStreamLimits(url: string | undefined): SingleStreamLimits {
  const query = new URL(url ?? '/', 'http://localhost').searchParams;
  return { count: Number(query.get('count') ?? 100_000), ms: Number(query.get('ms') ?? 1_000) };
}

/**
 * The async generator behind the single-stream scenario: small JSON events, as fast as the
 * consumer pulls them, bounded by count and time so a run always ends.
 */
export async function* generateEvents(limits: SingleStreamLimits): AsyncGenerator<BenchEvent> {
  const deadline = nowMs() + limits.ms;
  for (let seq = 0; seq < limits.count; seq++) {
    // Reading the clock on every event would cost more than the rest of the loop.
    if ((seq & 255) === 0 && nowMs() > deadline) return;
    yield makeBenchEvent(seq);
  }
}
