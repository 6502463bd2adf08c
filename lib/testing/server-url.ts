/** Where a test reaches a server: the base URL of a Nest app, a node server or a URL string. */
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `readEvents()` accepts: a Nest app (listening or not), a node `http.Server`, or a base URL. */
export type SseTestTarget = INestApplication | Server | string | URL;

export function isNestApplication(target: unknown): target is INestApplication {
  return typeof (target as Partial<INestApplication> | null)?.getHttpServer === 'function';
}

/** `http://127.0.0.1:PORT` of a listening server; an unspecified address (`::`, `0.0.0.0`) means loopback. */
export function baseUrlOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(
      `The server is ${address === null ? 'not listening' : `listening on a pipe (${address})`}: ` +
        'readEvents() needs a TCP port. Pass the INestApplication (it is then listened on 127.0.0.1:0), or a URL.',
    );
  }
  const { address: host, family, port } = address as AddressInfo;
  const ipv6 = family === 'IPv6' || (family as unknown) === 6;
  const loopback = host === '::' || host === '0.0.0.0' ? (ipv6 ? '::1' : '127.0.0.1') : host;
  return `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`;
}

/** One listen per app, however many readEvents() calls race for it. */
const appListens = new WeakMap<INestApplication, Promise<void>>();
/** Plain servers we started listening, with how many reads use them (closed again at zero). */
const borrowedServers = new WeakMap<Server, { users: number; ready: Promise<void> }>();

/** Listens a Nest app on 127.0.0.1:0 unless it listens already; one listen however many callers race. */
export async function ensureAppListening(app: INestApplication): Promise<Server> {
  const server = app.getHttpServer() as Server;
  if (server.listening) return server;
  // Left listening: app.close() closes it, and a Nest app cannot listen twice.
  let listening = appListens.get(app);
  if (!listening) {
    listening = app.listen(0, '127.0.0.1').then(() => undefined);
    appListens.set(app, listening);
  }
  await listening;
  return server;
}

/** The base URL of a target, listening it on an ephemeral port if needed; `release()` undoes a borrow. */
export async function acquireBaseUrl(target: SseTestTarget): Promise<{ url: string; release(): Promise<void> }> {
  const none = async () => undefined;
  if (typeof target === 'string' || target instanceof URL) return { url: String(target).replace(/\/+$/, ''), release: none };
  if (isNestApplication(target)) {
    return { url: baseUrlOf(await ensureAppListening(target)), release: none };
  }
  if (target.listening && !borrowedServers.has(target)) return { url: baseUrlOf(target), release: none };
  // A server that is not listening (e.g. app.getHttpServer() before listen, as with supertest):
  // listen it for this read and close it afterwards, leaving it as we found it.
  let borrow = borrowedServers.get(target);
  if (!borrow) {
    const server = target;
    const ready = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    borrow = { users: 0, ready };
    borrowedServers.set(target, borrow);
  }
  borrow.users++;
  const held = borrow;
  await held.ready;
  return {
    url: baseUrlOf(target),
    release: async () => {
      if (--held.users > 0) return;
      borrowedServers.delete(target);
      await new Promise<void>((resolve) => target.close(() => resolve()));
    },
  };
}
