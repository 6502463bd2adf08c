/**
 * The practical ceiling: plain `node:http`, each broadcast frame serialized once into one Buffer
 * and written as is to every socket; one timer writes the heartbeat to all sockets.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSingleStreamLimits } from './bench-event.js';
import type { StartBenchServer } from './bench-server.js';
import { RawStreams, writeSingleStream } from './raw-streams.js';

export const startServer: StartBenchServer = async ({ heartbeatMs }) => {
  const streams = new RawStreams(heartbeatMs);
  const server = http.createServer((req, res) => {
    if (req.url === '/fanout') {
      streams.add(res);
      return;
    }
    if (req.url?.startsWith('/single')) {
      writeSingleStream(res, readSingleStreamLimits(req.url)).catch(() => res.destroy());
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', 4096);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    publish: (event) => streams.publish(event),
    openStreams: () => streams.size,
    async close() {
      streams.close();
      server.closeAllConnections();
      server.close();
    },
  };
};
