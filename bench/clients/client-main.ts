/**
 * The client process: many SSE connections on raw sockets, driven by the orchestrator over IPC.
 * It runs in its own process so that parsing never competes with the server inside one event loop.
 */
import { serveRpc } from '../ipc/rpc.js';
import { openFilesLimit } from '../machine.js';
import { LatencyRecorder } from './latency-recorder.js';
import { SseSocket, type SseSocketSink } from './sse-socket.js';

const latency = new LatencyRecorder();
const sink: SseSocketSink = { events: 0, bytes: 0, recordLatency: (ms) => latency.record(ms) };
let sockets: SseSocket[] = [];
let mark = { events: 0, bytes: 0, at: 0, cpu: process.cpuUsage() };

export interface ConnectArgs {
  port: number;
  path: string;
  count: number;
  /** Connections being opened at once. */
  concurrency: number;
  /** Every how many sockets one parses timestamps (0: none). */
  latencyEvery: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  ms: number;
  statuses: Record<string, number>;
}

async function connect(args: ConnectArgs): Promise<ConnectResult> {
  const started = performance.now();
  const statuses: Record<string, number> = {};
  let failed = 0;
  let next = 0;
  const opened: SseSocket[] = [];
  const worker = async () => {
    while (next < args.count) {
      const index = next++;
      const socket = new SseSocket({
        port: args.port,
        path: args.path,
        sampleLatency: args.latencyEvery > 0 && index % args.latencyEvery === 0,
        sink,
        // Loopback source addresses of this process's own, a new one every 20,000 sockets: one
        // address has about 28,000 ephemeral ports, and an earlier run's may still be in TIME_WAIT.
        localAddress: `127.${1 + (process.pid % 250)}.${Math.floor((sockets.length + index) / 20_000)}.1`,
      });
      try {
        const status = await socket.head;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) opened.push(socket);
        else {
          failed++;
          socket.close();
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'closed';
        statuses[code] = (statuses[code] ?? 0) + 1;
        failed++;
        socket.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.count) }, worker));
  sockets.push(...opened);
  return { connected: opened.length, failed, ms: performance.now() - started, statuses };
}

export interface WindowResult {
  events: number;
  bytes: number;
  ms: number;
  openSockets: number;
  droppedByServer: number;
  latency: ReturnType<LatencyRecorder['summary']>;
  /** CPU time of this client process over the window, as % of one core (near 100: the client may be the limit). */
  cpuPercent: number;
}

export interface SingleResult {
  events: number;
  bytes: number;
  ms: number;
  status: number;
  ended: boolean;
}

export interface ChurnArgs {
  port: number;
  path: string;
  concurrency: number;
  durationMs: number;
}

export interface ChurnResult {
  cycles: number;
  failures: number;
  ms: number;
}

/** Open, wait for the head (the stream is set up on the server by then), close; again until the deadline. */
async function churn(args: ChurnArgs): Promise<ChurnResult> {
  const started = performance.now();
  const deadline = started + args.durationMs;
  let cycles = 0;
  let failures = 0;
  const churnSink: SseSocketSink = { events: 0, bytes: 0, recordLatency: () => undefined };
  const worker = async () => {
    while (performance.now() < deadline) {
      const socket = new SseSocket({ port: args.port, path: args.path, sampleLatency: false, sink: churnSink });
      try {
        if ((await socket.head) === 200) cycles++;
        else failures++;
      } catch {
        failures++;
      }
      socket.close();
      await socket.finished;
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  return { cycles, failures, ms: performance.now() - started };
}

serveRpc({
  connect: (args: ConnectArgs) => connect(args),
  openFilesLimit: () => ({ limit: openFilesLimit() }),
  mark: () => {
    mark = { events: sink.events, bytes: sink.bytes, at: performance.now(), cpu: process.cpuUsage() };
    latency.reset();
    latency.recording = true;
    return {};
  },
  read: (): WindowResult => {
    latency.recording = false;
    const ms = performance.now() - mark.at;
    const cpu = process.cpuUsage(mark.cpu);
    return {
      events: sink.events - mark.events,
      bytes: sink.bytes - mark.bytes,
      ms,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / ms) * 100,
      openSockets: sockets.filter((s) => !s.closedByServer).length,
      droppedByServer: sockets.filter((s) => s.closedByServer).length,
      latency: latency.summary(),
    };
  },
  /** Which open sockets parse timestamps from now on: every `every`-th one (0: none). */
  sampleLatency: (args: { every: number }) => {
    sockets.forEach((socket, index) => {
      socket.sampleLatency = args.every > 0 && index % args.every === 0;
    });
    return { sampling: sockets.filter((s) => s.sampleLatency).length };
  },
  /** Resolves once no byte arrived for `quietMs` (or after `timeoutMs`). */
  /** Waits until `count` events arrived since `mark`; ms from the mark to the poll that saw the last of them. */
  waitForEvents: async (args: { count: number; timeoutMs: number }) => {
    while (sink.events - mark.events < args.count && performance.now() - mark.at < args.timeoutMs) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { events: sink.events - mark.events, ms: performance.now() - mark.at };
  },
  waitQuiet: async (args: { quietMs: number; timeoutMs: number }) => {
    const started = performance.now();
    let bytes = sink.bytes;
    let since = performance.now();
    while (performance.now() - started < args.timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (sink.bytes !== bytes) {
        bytes = sink.bytes;
        since = performance.now();
      } else if (performance.now() - since >= args.quietMs) return { quiet: true, ms: performance.now() - started };
    }
    return { quiet: false, ms: performance.now() - started };
  },
  closeAll: async () => {
    const closing = sockets;
    sockets = [];
    for (const socket of closing) socket.close();
    await Promise.all(closing.map((socket) => socket.finished));
    return { closed: closing.length };
  },
  /** One stream read until it ends or `deadlineMs` after the request; only events up to then count. */
  single: async (args: { port: number; path: string; deadlineMs: number }): Promise<SingleResult> => {
    const own: SseSocketSink = { events: 0, bytes: 0, recordLatency: () => undefined };
    const started = performance.now();
    const socket = new SseSocket({ port: args.port, path: args.path, sampleLatency: false, sink: own });
    const status = await socket.head;
    let timer: NodeJS.Timeout | undefined;
    const how = await Promise.race([
      socket.finished,
      new Promise<'deadline'>(
        (resolve) => (timer = setTimeout(() => resolve('deadline'), args.deadlineMs - (performance.now() - started))),
      ),
    ]);
    clearTimeout(timer);
    const ms = performance.now() - started;
    const result = { events: own.events, bytes: own.bytes, ms, status, ended: how === 'ended' };
    socket.close();
    await socket.finished;
    return result;
  },
  churn: (args: ChurnArgs) => churn(args),
});
