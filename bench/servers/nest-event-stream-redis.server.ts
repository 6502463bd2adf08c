/**
 * This project on `@nestjs/platform-express` with the hub on Redis: the same app as
 * nest-event-stream-express, its store and transport replaced by `RedisHubStore` and
 * `RedisHubTransport` on `--redis-url` and `--redis-prefix`. Several of these processes on one
 * prefix are one hub: every publish reaches every instance's clients.
 */
import { RedisHubStore, RedisHubTransport } from '../../lib/redis/index.js';
import type { StartBenchServer } from './bench-server.js';
import { startNestEventStream } from './nest-event-stream.app.js';

export const startServer: StartBenchServer = (options) => {
  if (!options.redis) throw new Error('nest-event-stream-redis needs --redis-url (and --redis-prefix)');
  const { url, keyPrefix } = options.redis;
  return startNestEventStream('express', options, {
    store: new RedisHubStore({ url, keyPrefix }),
    transport: new RedisHubTransport({ url, keyPrefix }),
  });
};
