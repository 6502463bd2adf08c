/** What a user gets wrong when wiring Redis, told clearly before anything starts. */
import { Redis } from 'ioredis';
import { RedisHubStore, RedisHubTransport } from '../lib/redis/index.js';
import { REDIS_URL } from './support/redis.js';

describe('Redis store and transport options', () => {
  it('refuses a bad url, both url and client, a non-ioredis client, and maxBytes on the Redis store', () => {
    expect(() => new RedisHubStore({ url: 'http://localhost:6379' })).toThrow(/expected redis:\/\/host:port/);
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      expect(() => new RedisHubTransport({ url: REDIS_URL, client })).toThrow(/either \{ client \} or \{ url \}/);
    } finally {
      client.disconnect();
    }
    expect(() => new RedisHubStore({ client: {} as Redis })).toThrow(/must be an ioredis client/);
    expect(() => new RedisHubStore({ history: { maxBytes: 1024 } as never })).toThrow(/maxBytes bounds the in-memory store only/);
    expect(() => new RedisHubStore({ history: { maxEvents: -1 } })).toThrow(/history.maxEvents/);
    expect(() => new RedisHubTransport({ instanceTimeoutMs: 5 })).toThrow(/instanceTimeoutMs/);
  });

  it("uses the app's own client without closing it", async () => {
    const client = new Redis(REDIS_URL);
    try {
      const store = new RedisHubStore({ client, keyPrefix: `nes-test:own-${process.pid}` });
      await store.connect();
      await store.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
