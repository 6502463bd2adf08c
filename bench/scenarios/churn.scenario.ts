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
  /** Streams still open 5 s after the last client left (0 = teardown complete). */
  openAfter: number;
  /** Time from the last disconnect until every teardown had run. */
  teardownMs: number;
  heapGrowthBytes: number;
  rssGrowthBytes: number;
}

export function runChurn(competitor: Competitor, config: BenchConfig): Promise<ChurnResult> {
  const { concurrency, warmupMs, durationMs } = config.churn;
  return withWorkers(competitor, 15_000, async (server, client) => {
    const args = { port: server.info.port, path: '/fanout', concurrency };
    await client.call<ClientChurnResult>('churn', { ...args, durationMs: warmupMs });
    await server.call('waitForStreams', { atMost: 0, timeoutMs: 5_000 });
    const before = await server.call<MemoryReading>('gc');
    const churn = await client.call<ClientChurnResult>('churn', { ...args, durationMs });
    const teardown = await server.call<{ openStreams: number; ms: number }>('waitForStreams', { atMost: 0, timeoutMs: 5_000 });
    const after = await server.call<MemoryReading>('gc');
    return {
      cyclesPerSec: (churn.cycles / churn.ms) * 1000,
      cycles: churn.cycles,
      failures: churn.failures,
      openAfter: teardown.openStreams,
      teardownMs: teardown.ms,
      heapGrowthBytes: after.heapUsedBytes - before.heapUsedBytes,
      rssGrowthBytes: after.rssBytes - before.rssBytes,
    };
  });
}
