/**
 * The client process: many SSE connections on raw sockets, driven by the orchestrator over IPC.
 * It runs in its own process so that parsing never competes with the server inside one event loop.
 */
import { serveRpc } from '../ipc/rpc.js';
import { LatencyRecorder } from './latency-recorder.js';
import { SseSocket, type SseSocketSink } from './sse-socket.js';

const latency = new LatencyRecorder();
const sink: SseSocketSink = { events: 0, bytes: 0, recordLatency: (ms) => latency.record(ms) };
let sockets: SseSocket[] = [];
let mark = { events: 0, bytes: 0, at: 0 };

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
  mark: () => {
    mark = { events: sink.events, bytes: sink.bytes, at: performance.now() };
    latency.reset();
    latency.recording = true;
    return {};
  },
  read: (): WindowResult => {
    latency.recording = false;
    return {
      events: sink.events - mark.events,
      bytes: sink.bytes - mark.bytes,
      ms: performance.now() - mark.at,
      openSockets: sockets.filter((s) => !s.closedByServer).length,
      droppedByServer: sockets.filter((s) => s.closedByServer).length,
      latency: latency.summary(),
    };
  },
  closeAll: async () => {
    const closing = sockets;
    sockets = [];
    for (const socket of closing) socket.close();
    await Promise.all(closing.map((socket) => socket.finished));
    return { closed: closing.length };
  },
  single: async (args: { port: number; path: string }): Promise<SingleResult> => {
    const own: SseSocketSink = { events: 0, bytes: 0, recordLatency: () => undefined };
    const started = performance.now();
    const socket = new SseSocket({ port: args.port, path: args.path, sampleLatency: false, sink: own });
    const status = await socket.head;
    const how = await socket.finished;
    const ms = performance.now() - started;
    socket.close();
    return { events: own.events, bytes: own.bytes, ms, status, ended: how === 'ended' };
  },
  churn: (args: ChurnArgs) => churn(args),
});
