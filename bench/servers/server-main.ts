/**
 * The server process: starts one competitor and lets the orchestrator drive it over IPC
 * (publisher, CPU and memory readings, garbage collection). Run with `--expose-gc`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { COMPETITORS } from '../competitors.js';
import { serveRpc } from '../ipc/rpc.js';
import { makeBenchEvent } from './bench-event.js';
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
  wallMs: number;
  /** Event loop delay p99 over the window, ms. */
  loopDelayP99Ms: number;
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

/** Publishes at a fixed rate from a 1 ms timer; a publisher more than 20 ms behind skips rather than bursts. */
function startPublisher(server: BenchServer, ratePerSec: number) {
  const started = performance.now();
  const maxBurst = Math.max(1, Math.ceil(ratePerSec / 50));
  let seq = 0;
  let skipped = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - started) * ratePerSec) / 1000) - seq - skipped;
    let count = due;
    if (count > maxBurst) {
      skipped += count - maxBurst;
      count = maxBurst;
    }
    for (let i = 0; i < count; i++) server.publish(makeBenchEvent(seq++));
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return (): PublishResult => {
    stopped = true;
    return { published: seq, skipped, ms: performance.now() - started };
  };
}

async function main(): Promise<void> {
  const id = process.argv[2];
  const competitor = COMPETITORS.find((c) => c.id === id);
  if (!competitor) throw new Error(`unknown competitor ${id}; one of ${COMPETITORS.map((c) => c.id).join(', ')}`);
  const heartbeatMs = Number(readArg('heartbeat-ms', '15000'));
  const { startServer } = (await import(`./${competitor.module}`)) as { startServer: StartBenchServer };
  const server = await startServer({ heartbeatMs });

  let stopPublisher: (() => PublishResult) | undefined;
  let cpuMark: { usage: NodeJS.CpuUsage; at: number } | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });

  serveRpc(
    {
      memory: () => memory(server),
      gc: async () => {
        await collectGarbage();
        return memory(server);
      },
      publishStart: (args: PublishArgs) => {
        stopPublisher?.();
        stopPublisher = startPublisher(server, args.ratePerSec);
        return {};
      },
      publishStop: () => {
        const result = stopPublisher?.() ?? { published: 0, skipped: 0, ms: 0 };
        stopPublisher = undefined;
        return result;
      },
      cpuStart: () => {
        cpuMark = { usage: process.cpuUsage(), at: performance.now() };
        loopDelay.reset();
        loopDelay.enable();
        return {};
      },
      cpuRead: (): CpuReading => {
        if (!cpuMark) throw new Error('cpuRead before cpuStart');
        const used = process.cpuUsage(cpuMark.usage);
        const wallMs = performance.now() - cpuMark.at;
        loopDelay.disable();
        return {
          cpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100,
          wallMs,
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        };
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
        stopPublisher?.();
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
