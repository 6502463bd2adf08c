/**
 * Idle connections: many open streams that only receive heartbeats. Server memory is read after
 * a full GC before connecting and again after at least one heartbeat round; the difference is
 * divided by the number of streams.
 */
import type { BenchConfig } from '../bench-config.js';
import type { ConnectResult, WindowResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import type { CpuReading, MemoryReading } from '../servers/server-main.js';
import { withWorkers } from '../workers.js';

export interface IdleResult {
  connections: number;
  connectMs: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
  /** Heartbeat bytes each client received while held (proves heartbeats flow). */
  heartbeatBytesPerConnection: number;
  /** Server CPU while the streams only receive heartbeats, % of one core. */
  heartbeatCpuPercent: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runIdle(competitor: Competitor, config: BenchConfig): Promise<IdleResult> {
  const { connections, heartbeatMs, holdMs } = config.idle;
  return withWorkers(competitor, heartbeatMs, async (server, client) => {
    // One stream first, so lazily created per-route state is not counted per connection.
    await client.call<ConnectResult>('connect', { port: server.info.port, path: '/fanout', count: 1, concurrency: 1, latencyEvery: 0 });
    const before = await server.call<MemoryReading>('gc');
    const connect = await client.call<ConnectResult>('connect', {
      port: server.info.port,
      path: '/fanout',
      count: connections,
      concurrency: config.connectConcurrency,
      latencyEvery: 0,
    });
    if (connect.failed > 0) throw new Error(`${competitor.id}: ${connect.failed} connections failed: ${JSON.stringify(connect.statuses)}`);
    await server.call('waitForStreams', { atLeast: connections + 1, timeoutMs: 20_000 });
    await client.call('mark');
    await server.call('cpuStart');
    await sleep(holdMs);
    const cpu = await server.call<CpuReading>('cpuRead');
    const window = await client.call<WindowResult>('read');
    const after = await server.call<MemoryReading>('gc');
    await client.call('closeAll');
    const opened = after.openStreams - before.openStreams;
    return {
      connections: opened,
      connectMs: connect.ms,
      rssPerConnectionBytes: (after.rssBytes - before.rssBytes) / opened,
      heapPerConnectionBytes: (after.heapUsedBytes - before.heapUsedBytes) / opened,
      heartbeatBytesPerConnection: window.bytes / (connections + 1),
      heartbeatCpuPercent: cpu.cpuPercent,
    };
  });
}
