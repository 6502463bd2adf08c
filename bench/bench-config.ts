/** How long and how hard each scenario runs: the full run (a few minutes) and `--quick` (under a minute). */
export interface BenchConfig {
  mode: 'full' | 'quick';
  fanout: {
    /** Connected clients; one row per value. */
    clients: number[];
    /** Events published per second, per client count (a fixed rate above what most servers sustain). */
    ratePerSec: Record<number, number>;
    warmupMs: number;
    windowMs: number;
  };
  single: { maxEvents: number; maxMs: number };
  idle: { connections: number; heartbeatMs: number; holdMs: number };
  churn: { concurrency: number; warmupMs: number; durationMs: number };
  /** Connections opened at once while connecting many clients. */
  connectConcurrency: number;
  /** Each scenario is measured this many times per competitor (interleaved); the median is kept. */
  rounds: number;
}

export const FULL_CONFIG: BenchConfig = {
  mode: 'full',
  fanout: { clients: [1_000, 5_000], ratePerSec: { 1_000: 1_000, 5_000: 200 }, warmupMs: 1_500, windowMs: 5_000 },
  single: { maxEvents: 5_000_000, maxMs: 3_000 },
  idle: { connections: 10_000, heartbeatMs: 2_000, holdMs: 4_500 },
  churn: { concurrency: 64, warmupMs: 1_000, durationMs: 5_000 },
  connectConcurrency: 256,
  rounds: 1,
};

export const QUICK_CONFIG: BenchConfig = {
  mode: 'quick',
  fanout: { clients: [1_000], ratePerSec: { 1_000: 1_000 }, warmupMs: 500, windowMs: 1_500 },
  single: { maxEvents: 1_000_000, maxMs: 1_000 },
  idle: { connections: 2_000, heartbeatMs: 1_000, holdMs: 1_200 },
  churn: { concurrency: 32, warmupMs: 300, durationMs: 1_500 },
  connectConcurrency: 256,
  rounds: 1,
};
