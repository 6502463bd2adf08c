/** better-sse 0.16 as its README shows it: a `Session` per request on plain `node:http`, one `Channel` broadcast. */
import { createChannel, createSession } from 'better-sse';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateEvents, readSingleStreamLimits } from './bench-event.js';
import type { StartBenchServer } from './bench-server.js';

export const startServer: StartBenchServer = async ({ heartbeatMs }) => {
  const channel = createChannel();
  const sessionOptions = { keepAlive: heartbeatMs, retry: null };
  const server = http.createServer((req, res) => {
    if (req.url === '/fanout') {
      createSession(req, res, sessionOptions).then(
        (session) => {
          if (session.isConnected) channel.register(session);
        },
        () => res.destroy(),
      );
      return;
    }
    if (req.url?.startsWith('/single')) {
      createSession(req, res, sessionOptions)
        .then((session) => session.iterate(generateEvents(readSingleStreamLimits(req.url)), { eventName: 'message' }))
        .then(
          () => res.end(),
          () => res.destroy(),
        );
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', 4096);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    publish(event) {
      channel.broadcast(event, 'message', { eventId: String(event.seq) });
    },
    openStreams: () => channel.sessionCount,
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
};
