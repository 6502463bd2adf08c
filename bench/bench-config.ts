/** How long and how hard each scenario runs: the full run (about 9 minutes on 2 cores) and `--quick` (about a minute). */
export interface BenchConfig {
  mode: 'full' | 'quick';
  fanout: {
    /** Connected clients; one row per value. */
    clients: number[];
    /** Saturation phase: events offered per second x clients (far above what any competitor delivers). */
    saturationDeliveriesPerSec: number;
    /** Fixed-rate phase: events per second x clients, a load every competitor sustains. */
    fixedDeliveriesPerSec: number;
    warmupMs: number;
    windowMs: number;
  };
  /** One stream of `events` events (a generator that also stops after `timeoutMs`); the client reads until it ends. */
  single: { events: number; timeoutMs: number };
  idle: { connections: number; heartbeatMs: number; holdMs: number };
  churn: { concurrency: number; warmupMs: number; durationMs: number };
  /** One subscriber, `events` publishes in synchronous batches of `batch`; the best of `rounds` after a warm-up round. */
  publish: { events: number; batch: number; rounds: number };
  /**
   * Redis scale-out: `clients` on one in-process instance, then spread over two instances through
   * Redis; the fan-out phases with these windows, and a saturation rate above what two instances
   * deliver (the fan-out's 1,000,000/s is about what they do on 2 cores).
   */
  redis: { clients: number; saturationDeliveriesPerSec: number; warmupMs: number; windowMs: number };
  /** Connections opened at once while connecting many clients. */
  connectConcurrency: number;
}

export const FULL_CONFIG: BenchConfig = {
  mode: 'full',
  fanout: {
    clients: [1_000, 5_000],
    saturationDeliveriesPerSec: 1_000_000,
    fixedDeliveriesPerSec: 5_000,
    warmupMs: 1_500,
    windowMs: 5_000,
  },
  single: { events: 300_000, timeoutMs: 20_000 },
  idle: { connections: 10_000, heartbeatMs: 2_000, holdMs: 4_500 },
  churn: { concurrency: 64, warmupMs: 1_000, durationMs: 5_000 },
  publish: { events: 20_000, batch: 1_000, rounds: 3 },
  redis: { clients: 1_000, saturationDeliveriesPerSec: 2_000_000, warmupMs: 1_500, windowMs: 5_000 },
  connectConcurrency: 256,
};

export const QUICK_CONFIG: BenchConfig = {
  mode: 'quick',
  fanout: { clients: [1_000], saturationDeliveriesPerSec: 1_000_000, fixedDeliveriesPerSec: 5_000, warmupMs: 200, windowMs: 600 },
  single: { events: 50_000, timeoutMs: 5_000 },
  idle: { connections: 500, heartbeatMs: 500, holdMs: 600 },
  churn: { concurrency: 32, warmupMs: 100, durationMs: 600 },
  publish: { events: 10_000, batch: 1_000, rounds: 1 },
  redis: { clients: 1_000, saturationDeliveriesPerSec: 2_000_000, warmupMs: 500, windowMs: 1_500 },
  connectConcurrency: 256,
};
