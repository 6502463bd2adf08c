/**
 * Churn: clients connect to `/fanout`, wait for the head and leave, from many loops at once.
 * Measured: completed connect/disconnect cycles per second; that every stream's teardown ran
 * (open streams back to 0); server heap and RSS after a GC compared with before (no growth).
 */
import type { BenchConfig } from '../bench-config.js';
import type { ChurnResult as ClientChurnResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import type { MemoryReading } from '../servers/server-main.js';
import { withWorkers } from '../workers.js';

export interface ChurnResult {
  cyclesPerSec: number;
  cycles: number;
  failures: number;
  /** Streams the server still counted as open up to 5 s after the last client left (0 = teardown complete). */
  openAfter: number;
  /** Time from the last disconnect until every teardown had run. */
  teardownMs: number;
  /** Heap after a full GC: growth over the first and over the second half of the churn. */
  heapGrowthBytes: [number, number];
  rssGrowthBytes: number;
  /** Heap growth over the second half, per cycle (the first half may still fill pools and caches). */
  heapGrowthPerCycleBytes: number;
  /**
   * True when streams stayed open, or when the heap grew in both halves by more than 256 KiB and
   * more than 100 B per cycle (growth that goes on is a leak; growth once is a cache filling).
   */
  leaked: boolean;
}

export function runChurn(competitor: Competitor, config: BenchConfig): Promise<ChurnResult> {
  const { concurrency, warmupMs, durationMs } = config.churn;
  return withWorkers(competitor, 15_000, async (server, client) => {
    const args = { port: server.info.port, path: '/fanout', concurrency };
    const settle = async () => {
      const teardown = await server.call<{ openStreams: number; ms: number }>('waitForStreams', { atMost: 0, timeoutMs: 5_000 });
      return { teardown, memory: await server.call<MemoryReading>('gc') };
    };
    // The warm-up churn creates whatever is created once (JIT code, pools), so it is not counted.
    await client.call<ClientChurnResult>('churn', { ...args, durationMs: warmupMs });
    const start = await settle();
    const first = await client.call<ClientChurnResult>('churn', { ...args, durationMs: durationMs / 2 });
    const middle = await settle();
    const second = await client.call<ClientChurnResult>('churn', { ...args, durationMs: durationMs / 2 });
    const end = await settle();
    const growth: [number, number] = [
      middle.memory.heapUsedBytes - start.memory.heapUsedBytes,
      end.memory.heapUsedBytes - middle.memory.heapUsedBytes,
    ];
    const grows = (bytes: number, cycles: number) => bytes > 256 * 1024 && bytes > 100 * cycles;
    const cycles = first.cycles + second.cycles;
    const openAfter = Math.max(middle.teardown.openStreams, end.teardown.openStreams);
    return {
      cyclesPerSec: (cycles / (first.ms + second.ms)) * 1000,
      cycles,
      failures: first.failures + second.failures,
      openAfter,
      teardownMs: Math.max(middle.teardown.ms, end.teardown.ms),
      heapGrowthBytes: growth,
      rssGrowthBytes: end.memory.rssBytes - start.memory.rssBytes,
      heapGrowthPerCycleBytes: growth[1] / Math.max(1, second.cycles),
      leaked: openAfter > 0 || (grows(growth[0], first.cycles) && grows(growth[1], second.cycles)),
    };
  });
}
