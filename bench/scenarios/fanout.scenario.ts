/**
 * Fan-out: N clients on `/fanout`, one publisher at a fixed rate inside the server. Measured over
 * a window after a warm-up: events delivered per second (all clients), publish-to-receive
 * latency, server CPU.
 */
import type { BenchConfig } from '../bench-config.js';
import type { ConnectResult, WindowResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import type { CpuReading, PublishResult } from '../servers/server-main.js';
import { withWorkers } from '../workers.js';

export interface FanoutResult {
  clients: number;
  connected: number;
  ratePerSec: number;
  publishedPerSec: number;
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  latencySamples: number;
  cpuPercent: number;
  loopDelayP99Ms: number;
  droppedByServer: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runFanout(competitor: Competitor, config: BenchConfig, clients: number): Promise<FanoutResult> {
  const ratePerSec = config.fanout.ratePerSec[clients] ?? 1_000;
  return withWorkers(competitor, 15_000, async (server, client) => {
    const connect = await client.call<ConnectResult>('connect', {
      port: server.info.port,
      path: '/fanout',
      count: clients,
      concurrency: config.connectConcurrency,
      // About 100 sockets parse timestamps: enough samples, little client CPU.
      latencyEvery: Math.max(1, Math.round(clients / 100)),
    });
    if (connect.failed > 0) throw new Error(`${competitor.id}: ${connect.failed} of ${clients} connections failed: ${JSON.stringify(connect.statuses)}`);
    await server.call('waitForStreams', { atLeast: clients, timeoutMs: 10_000 });
    await server.call('gc');
    await server.call('publishStart', { ratePerSec });
    await sleep(config.fanout.warmupMs);
    await Promise.all([client.call('mark'), server.call('cpuStart')]);
    await sleep(config.fanout.windowMs);
    const [window, cpu] = await Promise.all([client.call<WindowResult>('read'), server.call<CpuReading>('cpuRead')]);
    const published = await server.call<PublishResult>('publishStop');
    await client.call('closeAll');
    return {
      clients,
      connected: connect.connected,
      ratePerSec,
      publishedPerSec: (published.published / published.ms) * 1000,
      deliveredPerSec: (window.events / window.ms) * 1000,
      p50Ms: window.latency.p50Ms,
      p99Ms: window.latency.p99Ms,
      maxMs: window.latency.maxMs,
      latencySamples: window.latency.samples,
      cpuPercent: cpu.cpuPercent,
      loopDelayP99Ms: cpu.loopDelayP99Ms,
      droppedByServer: window.droppedByServer,
    };
  });
}
