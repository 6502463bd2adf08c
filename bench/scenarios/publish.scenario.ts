/**
 * Publish: the per-event cost of a publish that reaches one subscriber. One client on
 * `/fanout`; the server publishes `events` events in synchronous batches of `batch` (yielding to
 * I/O between batches, as a busy app does). Measured: events per second until the client has the
 * last one, and server CPU per event (serialize, store, transport, dispatch, write).
 */
import type { BenchConfig } from '../bench-config.js';
import type { Competitor } from '../competitors.js';
import type { CpuReading } from '../servers/server-main.js';
import { withWorkers } from '../workers.js';
import { connectClients } from './fanout.scenario.js';

export interface PublishResult {
  events: number;
  eventsPerSec: number;
  /** Server CPU (user + system) per published event, in microseconds. */
  cpuMicrosPerEvent: number;
}

export function runPublish(competitor: Competitor, config: BenchConfig): Promise<PublishResult> {
  const { events, batch, rounds } = config.publish;
  return withWorkers(competitor, 15_000, async (server, client) => {
    await connectClients(competitor.id, server, client, 1, 1);
    // A warm-up round (JIT), then the best of `rounds`: a round the machine interrupted is not the library's cost.
    await client.call('mark');
    await server.call('publishBurst', { total: events, batch });
    await client.call('waitForEvents', { count: events, timeoutMs: 30_000 });
    let best: PublishResult | undefined;
    for (let round = 0; round < rounds; round++) {
      await server.call('gc');
      await client.call('mark');
      await server.call('cpuStart');
      await server.call('publishBurst', { total: events, batch });
      const arrived = await client.call<{ events: number; ms: number }>('waitForEvents', { count: events, timeoutMs: 30_000 });
      const cpu = await server.call<CpuReading>('cpuRead');
      if (arrived.events < events) throw new Error(`${competitor.id}: ${arrived.events} of ${events} events arrived`);
      const result = {
        events,
        eventsPerSec: (events / arrived.ms) * 1000,
        cpuMicrosPerEvent: (((cpu.cpuPercent / 100) * cpu.wallMs) / events) * 1000,
      };
      if (!best || result.eventsPerSec > best.eventsPerSec) best = result;
    }
    await client.call('closeAll');
    return best!;
  });
}
