/**
 * What the raw `node:http` writer and the Nest floor share: open streams kept in a Set, each
 * broadcast frame serialized once into one Buffer and written to every response, one timer
 * writing the heartbeat to all of them, and the single stream written straight to the response.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { generateEvents, type BenchEvent, type SingleStreamLimits } from './bench-event.js';

const SSE_HEAD = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};
const HEARTBEAT = Buffer.from(':\n\n');
/** Same bound as the libraries' defaults: a client that does not read is dropped past it. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** Writes the SSE head and nothing else. */
export function openStream(res: ServerResponse): void {
  res.socket?.setNoDelay(true);
  res.writeHead(200, SSE_HEAD);
  res.flushHeaders();
}

/** The single-stream scenario: every event written as soon as the socket takes it, then the end. */
export async function writeSingleStream(res: ServerResponse, limits: SingleStreamLimits): Promise<void> {
  openStream(res);
  for await (const event of generateEvents(limits)) {
    if (res.destroyed) return;
    if (!res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`)) {
      await once(res, 'drain');
    }
  }
  res.end();
}

export class RawStreams {
  private readonly streams = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatMs: number) {
    this.heartbeat = setInterval(() => {
      for (const res of this.streams) res.write(HEARTBEAT);
    }, heartbeatMs);
  }

  get size(): number {
    return this.streams.size;
  }

  /** Opens `res` as a stream of the broadcast until it closes. */
  add(res: ServerResponse): void {
    openStream(res);
    this.streams.add(res);
    res.once('close', () => this.streams.delete(res));
  }

  publish(event: BenchEvent): void {
    const frame = Buffer.from(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    for (const res of this.streams) {
      res.write(frame);
      if (res.writableLength > MAX_PENDING_BYTES) res.destroy();
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
  }
}
