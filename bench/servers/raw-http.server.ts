/**
 * The practical ceiling: plain `node:http`, each broadcast frame serialized once into one Buffer
 * and written as is to every socket; one timer writes the heartbeat to all sockets.
 */
import { once } from 'node:events';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateEvents, readSingleStreamLimits } from './bench-event.js';
import type { StartBenchServer } from './bench-server.js';

const SSE_HEAD = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};
const HEARTBEAT = Buffer.from(':\n\n');
/** Same bound as the libraries' defaults: a client that does not read is dropped past it. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

function openStream(res: ServerResponse): void {
  res.socket?.setNoDelay(true);
  res.writeHead(200, SSE_HEAD);
  res.flushHeaders();
}

async function writeSingleStream(res: ServerResponse, url: string | undefined): Promise<void> {
  openStream(res);
  for await (const event of generateEvents(readSingleStreamLimits(url))) {
    if (res.destroyed) return;
    if (!res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`)) {
      await once(res, 'drain');
    }
  }
  res.end();
}

export const startServer: StartBenchServer = async ({ heartbeatMs }) => {
  const streams = new Set<ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.url === '/fanout') {
      openStream(res);
      streams.add(res);
      res.once('close', () => streams.delete(res));
      return;
    }
    if (req.url?.startsWith('/single')) {
      writeSingleStream(res, req.url).catch(() => res.destroy());
      return;
    }
    res.writeHead(404).end();
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(HEARTBEAT);
  }, heartbeatMs);
  server.listen(0, '127.0.0.1', 4096);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    publish(event) {
      const frame = Buffer.from(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
      for (const res of streams) {
        res.write(frame);
        if (res.writableLength > MAX_PENDING_BYTES) res.destroy();
      }
    },
    openStreams: () => streams.size,
    async close() {
      clearInterval(heartbeat);
      server.closeAllConnections();
      server.close();
    },
  };
};
