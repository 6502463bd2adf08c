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
  /** With several server processes (the Redis scale-out scenario): each one's CPU, % of one core; `serverCpuPercent` is their sum. */
  serverCpuPercentEach?: number[];
  /** CPU of redis-server over the window, % of one core (the Redis scale-out scenario). */
  redisCpuPercent?: number;
}

export interface FanoutResult {
  clients: number;
  connected: number;
  connectMs: number;
  saturation: FanoutWindow;
  fixedRate: FanoutWindow;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a CPU counter outside the measured processes (redis-server's): cumulative CPU seconds. */
export type CpuSecondsReader = () => Promise<number>;

/**
 * One measurement window on N clients spread over one or more server processes: each server's
 * publisher runs at `ratePerSec / servers.length`, so `ratePerSec` events per second are published
 * in all (with a shared broadcast, every client receives all of them).
 */
export async function measureWindow(
  servers: ServerWorker[],
  client: ClientWorker,
  clients: number,
  ratePerSec: number,
  warmupMs: number,
  windowMs: number,
  otherCpu?: CpuSecondsReader,
): Promise<FanoutWindow> {
  const each = <T>(command: string, args?: unknown) => Promise.all(servers.map((server) => server.call<T>(command, args)));
  await each('publishStart', { ratePerSec: ratePerSec / servers.length });
  await sleep(warmupMs);
  const [, , otherStart] = await Promise.all([client.call('mark'), each('cpuStart'), otherCpu?.()]);
  const otherStartedAt = performance.now();
  const machine = machineCpuWindow();
  await sleep(windowMs);
  const [window, cpus, otherEnd] = await Promise.all([client.call<WindowResult>('read'), each<CpuReading>('cpuRead'), otherCpu?.()]);
  const otherMs = performance.now() - otherStartedAt;
  const machineCpu = machine();
  const published = await each<PublishResult>('publishStop');
  if (published.some((p) => p.published === 0)) throw new Error('a publisher published nothing');
  // Let what is still queued arrive, so the next phase starts from empty buffers.
  await client.call('waitQuiet', { quietMs: 200, timeoutMs: 10_000 });
  const deliveredPerSec = (window.events / window.ms) * 1000;
  const publishedPerSec = cpus.reduce((sum, cpu) => sum + (cpu.published / cpu.wallMs) * 1000, 0);
  const serverCpuPercent = cpus.reduce((sum, cpu) => sum + cpu.cpuPercent, 0);
  const serverCpuMs = cpus.reduce((sum, cpu) => sum + (cpu.cpuPercent / 100) * cpu.wallMs, 0);
  const redisCpuPercent =
    otherStart !== undefined && otherEnd !== undefined ? (((otherEnd - otherStart) * 1000) / otherMs) * 100 : undefined;
  return {
    offeredPerSec: ratePerSec,
    publishedPerSec,
    deliveredPerSec,
    deliveredShare: deliveredPerSec / (publishedPerSec * clients),
    p50Ms: window.latency.p50Ms,
    p99Ms: window.latency.p99Ms,
    maxMs: window.latency.maxMs,
    latencySamples: window.latency.samples,
    serverCpuPercent,
    cpuMsPer1kEvents: window.events > 0 ? serverCpuMs / (window.events / 1000) : NaN,
    clientCpuPercent: window.cpuPercent,
    otherCpuPercent: Math.max(0, machineCpu - serverCpuPercent - window.cpuPercent - (redisCpuPercent ?? 0)),
    droppedByServer: window.droppedByServer,
    ...(servers.length > 1 && { serverCpuPercentEach: cpus.map((cpu) => cpu.cpuPercent) }),
    ...(redisCpuPercent !== undefined && { redisCpuPercent }),
  };
}

/** How hard and how long the two phases run (`config.fanout`, or the Redis scenario's own windows). */
export interface FanoutPhases {
  saturationDeliveriesPerSec: number;
  fixedDeliveriesPerSec: number;
  warmupMs: number;
  windowMs: number;
}

/** Connects `count` clients to one server and waits until the server counts their streams. */
export async function connectClients(
  label: string,
  server: ServerWorker,
  client: ClientWorker,
  count: number,
  concurrency: number,
): Promise<ConnectResult> {
  const connect = await client.call<ConnectResult>('connect', {
    port: server.info.port,
    path: '/fanout',
    count,
    concurrency,
    latencyEvery: 0,
  });
  if (connect.failed > 0)
    throw new Error(`${label}: ${connect.failed} of ${count} connections failed: ${JSON.stringify(connect.statuses)}`);
  const streams = await server.call<{ ok: boolean; openStreams: number }>('waitForStreams', { atLeast: count, timeoutMs: 10_000 });
  if (!streams.ok) throw new Error(`${label}: only ${streams.openStreams} of ${count} streams opened`);
  return connect;
}

/** The saturation phase, then the fixed-rate phase, on the `clients` already connected (over all `servers`). */
export async function measurePhases(
  servers: ServerWorker[],
  client: ClientWorker,
  clients: number,
  phases: FanoutPhases,
  otherCpu?: CpuSecondsReader,
): Promise<{ saturation: FanoutWindow; fixedRate: FanoutWindow }> {
  const { saturationDeliveriesPerSec, fixedDeliveriesPerSec, warmupMs, windowMs } = phases;
  // About 100 sockets parse timestamps under saturation: enough samples, little client CPU.
  await client.call('sampleLatency', { every: Math.max(1, Math.round(clients / 100)) });
  const saturationRate = Math.max(1, Math.round(saturationDeliveriesPerSec / clients));
  const saturation = await measureWindow(servers, client, clients, saturationRate, warmupMs, windowMs, otherCpu);

  // Up to 1,000 sockets sample at the fixed rate.
  await client.call('sampleLatency', { every: Math.max(1, Math.ceil(clients / 1_000)) });
  const fixedRate = Math.max(1, Math.round(fixedDeliveriesPerSec / clients));
  const fixed = await measureWindow(servers, client, clients, fixedRate, Math.min(warmupMs, 1_000), windowMs, otherCpu);
  return { saturation, fixedRate: fixed };
}

export function runFanout(competitor: Competitor, config: BenchConfig, clients: number): Promise<FanoutResult> {
  return withWorkers(competitor, 15_000, async (server, client) => {
    const connect = await connectClients(competitor.id, server, client, clients, config.connectConcurrency);
    await server.call('gc');
    const { saturation, fixedRate } = await measurePhases([server], client, clients, config.fanout);
    await client.call('closeAll');
    return { clients, connected: connect.connected, connectMs: connect.ms, saturation, fixedRate };
  });
}
