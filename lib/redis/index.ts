/** `nest-event-stream/redis`: the hub across instances, through Redis (ioredis, an optional peer dependency). */
export { RedisHubStore, type RedisHubStoreOptions } from './redis-hub-store.js';
export { RedisHubTransport, type RedisHubTransportOptions } from './redis-hub-transport.js';
export { RedisUnreachableError, DEFAULT_REDIS_URL, type RedisHubConnectionOptions, type RedisClient } from './redis-connection.js';
export { DEFAULT_REDIS_KEY_PREFIX } from './redis-keys.js';
