/**
 * Scale (`--scenarios=scale`, not in the default run): idle streams added step by step (10,000 to
 * 50,000 by default, `--scale-steps=`), with the default 15 s heartbeat. At each step: server
 * memory after a full GC per stream (against before the first), and server CPU over two heartbeat
 * intervals. The cost per stream should stay flat as the count grows: linear memory, heartbeat CPU
 * proportional to the streams, no per-stream timers.
 *
 * Every worker raises its open-files limit to the hard limit before it starts (see ipc/rpc.ts);
 * steps that need more descriptors than that are left out and the report says so.
 */
import type { ConnectResult } from '../clients/client-main.js';
import type { Competitor } from '../competitors.js';
import type { CpuReading, MemoryReading } from '../servers/server-main.js';
import { withWorkers } from '../workers.js';

export const DEFAULT_SCALE_STEPS = [10_000, 20_000, 30_000, 40_000, 50_000];
export const SCALE_HEARTBEAT_MS = 15_000;
/**
 * CPU is read over two heartbeat intervals (30 s): Node's HTTP server walks every connection to
 * check its timeouts every 30 s (`connectionsCheckingInterval`), so a 15 s window would catch that
 * walk for one competitor and miss it for another.
 */
export const SCALE_WINDOW_MS = 2 * SCALE_HEARTBEAT_MS;
/** Descriptors a worker needs besides its sockets (stdio, IPC, the event loop's own). */
const SPARE_FILES = 200;

export interface ScaleStep {
  streams: number;
  connectMs: number;
  rssPerStreamBytes: number;
  heapPerStreamBytes: number;
  /** Server CPU over two heartbeat intervals, % of one core. */
  heartbeatCpuPercent: number;
  /** The same per 10,000 streams: flat when the cost is linear. */
  heartbeatCpuPercentPer10k: number;
  /** Its user part (JavaScript); the rest is the kernel writing to the sockets. */
  heartbeatUserCpuPercent: number;
}

export interface ScaleResult {
  steps: ScaleStep[];
  /** Steps left out, and why (the open-files limit). */
  skipped?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runScale(
  competitor: Competitor,
  steps: number[],
  connectConcurrency: number,
  windowMs = SCALE_WINDOW_MS,
): Promise<ScaleResult> {
  return withWorkers(competitor, SCALE_HEARTBEAT_MS, async (server, client) => {
    const limits = await Promise.all([server.call<{ limit: number }>('openFilesLimit'), client.call<{ limit: number }>('openFilesLimit')]);
    const limit = Math.min(...limits.map((l) => l.limit));
    const fits = steps.filter((n) => n + SPARE_FILES <= limit);
    const largest = Math.floor((limit - SPARE_FILES) / 1000) * 1000;
    if (fits.length < steps.length && largest > (fits.at(-1) ?? 0)) fits.push(largest);
    const skipped =
      fits.length < steps.length || fits.at(-1) !== steps.at(-1)
        ? `the open-files limit is ${limit} per process (the hard limit; raising it needs privileges this machine does not give), so steps above ${largest.toLocaleString('en-US')} streams were left out`
        : undefined;
    await client.call<ConnectResult>('connect', { port: server.info.port, path: '/fanout', count: 1, concurrency: 1, latencyEvery: 0 });
    const before = await server.call<MemoryReading>('gc');
    const result: ScaleStep[] = [];
    let open = 0;
    for (const target of fits) {
      const connect = await client.call<ConnectResult>(
        'connect',
        { port: server.info.port, path: '/fanout', count: target - open, concurrency: connectConcurrency, latencyEvery: 0 },
        300_000,
      );
      if (connect.failed > 0)
        throw new Error(`${competitor.id}: ${connect.failed} connections failed at ${target}: ${JSON.stringify(connect.statuses)}`);
      open = target;
      await server.call('waitForStreams', { atLeast: open + 1, timeoutMs: 60_000 });
      await server.call('gc');
      await server.call('cpuStart');
      await sleep(windowMs);
      const cpu = await server.call<CpuReading>('cpuRead');
      const after = await server.call<MemoryReading>('gc');
      const streams = after.openStreams - before.openStreams;
      result.push({
        streams,
        connectMs: connect.ms,
        rssPerStreamBytes: (after.rssBytes - before.rssBytes) / streams,
        heapPerStreamBytes: (after.heapUsedBytes - before.heapUsedBytes) / streams,
        heartbeatCpuPercent: cpu.cpuPercent,
        heartbeatCpuPercentPer10k: (cpu.cpuPercent / streams) * 10_000,
        heartbeatUserCpuPercent: cpu.userCpuPercent,
      });
    }
    await client.call('closeAll', {}, 300_000);
    return { steps: result, ...(skipped && { skipped }) };
  });
}
