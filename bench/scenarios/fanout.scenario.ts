/**
 * Fan-out: N clients on `/fanout`, one publisher inside the server, in two phases on the same
 * connections.
 *
 * 1. Saturation: the publisher offers far more than any competitor delivers (a fixed rate with
 *    skips when the server falls behind). Measured: events delivered per second (all clients),
 *    server CPU, and the latency under that load.
 * 2. Fixed rate: a moderate rate every competitor sustains (the same delivered events per second
 *    for all), with many sockets sampling timestamps. Measured: publish-to-receive latency p50/p99
 *    and server CPU per 1,000 events delivered (the same work for everyone, so a fair cost).
 *
 * Client and machine CPU are read over both windows: a client near 100 % of a core, or load from
 * other processes, means the window may not show the server's own limit.
 */
import type { BenchConfig } from '../bench-config.js';
import type { ConnectResult, WindowResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import { machineCpuWindow } from '../machine.js';
import type { CpuReading, PublishResult } from '../servers/server-main.js';
import { withWorkers, type ClientWorker, type ServerWorker } from '../workers.js';

export interface FanoutWindow {
  /** Events the publisher was asked to publish per second. */
  offeredPerSec: number;
  publishedPerSec: number;
  deliveredPerSec: number;
  /** Delivered / (published x clients) over the window; below 1 when the server fell behind (events still queued or dropped). */
  deliveredShare: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  latencySamples: number;
  serverCpuPercent: number;
  /** Server CPU milliseconds per 1,000 events delivered. */
  cpuMsPer1kEvents: number;
  clientCpuPercent: number;
  /** Busy CPU of the whole machine minus server and client (other people's load), % of one core. */
  otherCpuPercent: number;
  droppedByServer: number;
}

export interface FanoutResult {
  clients: number;
  connected: number;
  connectMs: number;
  saturation: FanoutWindow;
  fixedRate: FanoutWindow;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureWindow(
  server: ServerWorker,
  client: ClientWorker,
  clients: number,
  ratePerSec: number,
  warmupMs: number,
  windowMs: number,
): Promise<FanoutWindow> {
  await server.call('publishStart', { ratePerSec });
  await sleep(warmupMs);
  await Promise.all([client.call('mark'), server.call('cpuStart')]);
  const machine = machineCpuWindow();
  await sleep(windowMs);
  const [window, cpu] = await Promise.all([client.call<WindowResult>('read'), server.call<CpuReading>('cpuRead')]);
  const machineCpu = machine();
  const published = await server.call<PublishResult>('publishStop');
  if (published.published === 0) throw new Error('the publisher published nothing');
  // Let what is still queued arrive, so the next phase starts from empty buffers.
  await client.call('waitQuiet', { quietMs: 200, timeoutMs: 10_000 });
  const deliveredPerSec = (window.events / window.ms) * 1000;
  const publishedPerSec = (cpu.published / cpu.wallMs) * 1000;
  return {
    offeredPerSec: ratePerSec,
    publishedPerSec,
    deliveredPerSec,
    deliveredShare: deliveredPerSec / (publishedPerSec * clients),
    p50Ms: window.latency.p50Ms,
    p99Ms: window.latency.p99Ms,
    maxMs: window.latency.maxMs,
    latencySamples: window.latency.samples,
    serverCpuPercent: cpu.cpuPercent,
    cpuMsPer1kEvents: window.events > 0 ? ((cpu.cpuPercent / 100) * cpu.wallMs) / (window.events / 1000) : NaN,
    clientCpuPercent: window.cpuPercent,
    otherCpuPercent: Math.max(0, machineCpu - cpu.cpuPercent - window.cpuPercent),
    droppedByServer: window.droppedByServer,
  };
}

export function runFanout(competitor: Competitor, config: BenchConfig, clients: number): Promise<FanoutResult> {
  const { saturationDeliveriesPerSec, fixedDeliveriesPerSec, warmupMs, windowMs } = config.fanout;
  return withWorkers(competitor, 15_000, async (server, client) => {
    const connect = await client.call<ConnectResult>('connect', {
      port: server.info.port,
      path: '/fanout',
      count: clients,
      concurrency: config.connectConcurrency,
      latencyEvery: 0,
    });
    if (connect.failed > 0)
      throw new Error(`${competitor.id}: ${connect.failed} of ${clients} connections failed: ${JSON.stringify(connect.statuses)}`);
    const streams = await server.call<{ ok: boolean; openStreams: number }>('waitForStreams', { atLeast: clients, timeoutMs: 10_000 });
    if (!streams.ok) throw new Error(`${competitor.id}: only ${streams.openStreams} of ${clients} streams opened`);
    await server.call('gc');

    // About 100 sockets parse timestamps under saturation: enough samples, little client CPU.
    await client.call('sampleLatency', { every: Math.max(1, Math.round(clients / 100)) });
    const saturationRate = Math.max(1, Math.round(saturationDeliveriesPerSec / clients));
    const saturation = await measureWindow(server, client, clients, saturationRate, warmupMs, windowMs);

    // Up to 1,000 sockets sample at the fixed rate.
    await client.call('sampleLatency', { every: Math.max(1, Math.ceil(clients / 1_000)) });
    const fixedRate = Math.max(1, Math.round(fixedDeliveriesPerSec / clients));
    const fixed = await measureWindow(server, client, clients, fixedRate, Math.min(warmupMs, 1_000), windowMs);

    await client.call('closeAll');
    return { clients, connected: connect.connected, connectMs: connect.ms, saturation, fixedRate: fixed };
  });
}
