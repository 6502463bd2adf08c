/**
 * The server process: starts one competitor and lets the orchestrator drive it over IPC
 * (publisher, CPU and memory readings, garbage collection). Run with `--expose-gc`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { COMPETITORS, SCALE_OUT_SERVERS } from '../competitors.js';
import { serveRpc } from '../ipc/rpc.js';
import { makeBenchEvent } from './bench-event.js';
import { openFilesLimit } from '../machine.js';
import type { BenchServer, StartBenchServer } from './bench-server.js';

export interface MemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  openStreams: number;
}

export interface CpuReading {
  /** User + system CPU time of the server process over the window, as % of one core. */
  cpuPercent: number;
  /** Its user part (JavaScript, V8); the rest is the kernel's (socket writes). */
  userCpuPercent: number;
  wallMs: number;
  /** Events the publisher published over the window. */
  published: number;
}

export interface PublishArgs {
  ratePerSec: number;
}

export interface PublishResult {
  published: number;
  /** Events not published because the publisher fell more than a burst behind its schedule. */
  skipped: number;
  ms: number;
}

function readArg(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('server-main needs --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await nextTurn();
  }
}

function memory(server: BenchServer): MemoryReading {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external, openStreams: server.openStreams() };
}

/**
 * Publishes at a fixed rate. A timer fires when the next event is due (at most every 1 ms); a
 * publisher more than 20 ms behind its schedule skips events rather than bursting them.
 */
function startPublisher(server: BenchServer, ratePerSec: number) {
  const started = performance.now();
  const maxBurst = Math.max(1, Math.ceil(ratePerSec / 50));
  let seq = 0;
  let skipped = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const elapsed = performance.now() - started;
    let count = Math.floor((elapsed * ratePerSec) / 1000) + 1 - seq - skipped;
    if (count > maxBurst) {
      skipped += count - maxBurst;
      count = maxBurst;
    }
    for (let i = 0; i < count; i++) server.publish(makeBenchEvent(seq++));
    const nextDueMs = ((seq + skipped) * 1000) / ratePerSec;
    timer = setTimeout(tick, Math.max(1, nextDueMs - (performance.now() - started)));
  };
  tick();
  return {
    /** Events published so far. */
    published: () => seq,
    stop: (): PublishResult => {
      stopped = true;
      clearTimeout(timer);
      return { published: seq, skipped, ms: performance.now() - started };
    },
  };
}

async function main(): Promise<void> {
  const id = process.argv[2];
  const servers = [...COMPETITORS, ...SCALE_OUT_SERVERS];
  const competitor = servers.find((c) => c.id === id);
  if (!competitor) throw new Error(`unknown competitor ${id}; one of ${servers.map((c) => c.id).join(', ')}`);
  const heartbeatMs = Number(readArg('heartbeat-ms', '15000'));
  const redisUrl = readArg('redis-url', '');
  const redis = redisUrl ? { url: redisUrl, keyPrefix: readArg('redis-prefix', 'nes-bench') } : undefined;
  const { startServer } = (await import(`./${competitor.module}`)) as { startServer: StartBenchServer };
  const server = await startServer({ heartbeatMs, redis });

  let publisher: ReturnType<typeof startPublisher> | undefined;
  let cpuMark: { usage: NodeJS.CpuUsage; at: number; published: number } | undefined;

  serveRpc(
    {
      memory: () => memory(server),
      openFilesLimit: () => ({ limit: openFilesLimit() }),
      gc: async () => {
        await collectGarbage();
        return memory(server);
      },
      /** A heap snapshot after a full GC, written to `path` (the idle-heap breakdown diffs two of them). */
      heapSnapshot: async (args: { path: string }) => {
        await collectGarbage();
        writeHeapSnapshot(args.path);
        return memory(server);
      },
      publishStart: (args: PublishArgs) => {
        publisher?.stop();
        publisher = startPublisher(server, args.ratePerSec);
        return {};
      },
      /** `total` events in synchronous batches of `batch`, yielding to I/O between batches (the publish scenario). */
      publishBurst: async (args: { total: number; batch: number }) => {
        const started = performance.now();
        let seq = 0;
        while (seq < args.total) {
          const end = Math.min(args.total, seq + args.batch);
          while (seq < end) server.publish(makeBenchEvent(seq++));
          await nextTurn();
        }
        return { published: seq, ms: performance.now() - started };
      },
      publishStop: () => {
        const result = publisher?.stop() ?? { published: 0, skipped: 0, ms: 0 };
        publisher = undefined;
        return result;
      },
      cpuStart: () => {
        cpuMark = { usage: process.cpuUsage(), at: performance.now(), published: publisher?.published() ?? 0 };
        return {};
      },
      cpuRead: (): CpuReading => {
        if (!cpuMark) throw new Error('cpuRead before cpuStart');
        const used = process.cpuUsage(cpuMark.usage);
        const wallMs = performance.now() - cpuMark.at;
        const published = (publisher?.published() ?? cpuMark.published) - cpuMark.published;
        const percent = (micros: number) => (micros / 1000 / wallMs) * 100;
        return { cpuPercent: percent(used.user + used.system), userCpuPercent: percent(used.user), wallMs, published };
      },
      /** Waits until the open stream count satisfies the condition; resolves with the count either way. */
      waitForStreams: async (args: { atLeast?: number; atMost?: number; timeoutMs: number }) => {
        const started = performance.now();
        const ok = () => {
          const open = server.openStreams();
          return (args.atLeast === undefined || open >= args.atLeast) && (args.atMost === undefined || open <= args.atMost);
        };
        while (!ok() && performance.now() - started < args.timeoutMs) await new Promise((r) => setTimeout(r, 10));
        return { openStreams: server.openStreams(), ms: performance.now() - started, ok: ok() };
      },
      close: async () => {
        publisher?.stop();
        await server.close();
        return {};
      },
    },
    { port: server.port, pid: process.pid },
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
