/** Open TCP connections of a server: 0 once every client socket is gone. */
import type { Server } from 'node:http';
import { until } from './until.js';

export function openConnections(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/** Waits until the server has no open connection left. */
export async function untilNoConnections(server: Server, timeoutMs = 2000): Promise<void> {
  let last = -1;
  await until(async () => (last = await openConnections(server)) === 0, timeoutMs, `no open connections (still ${last})`);
}
