/** RedisHubStore and RedisHubTransport pass the suites every store and transport must pass, against a real Redis. */
import { RedisHubStore, RedisHubTransport } from '../lib/redis/index.js';
import type { SseHubTransport } from '../lib/index.js';
import { describeHubStore } from './conformance/hub-store.conformance.js';
import { describeHubTransport } from './conformance/hub-transport.conformance.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './support/redis.js';

describeHubStore('RedisHubStore', async (history) => {
  const keyPrefix = uniquePrefix('store');
  const opened: RedisHubStore[] = [];
  const open = async () => {
    const store = new RedisHubStore({ url: REDIS_URL, keyPrefix, history });
    await store.connect();
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    // Another instance (or this one restarted): a new client on the same Redis data.
    restart: open,
    dispose: async () => {
      for (const each of opened) await each.close();
      await dropPrefix(keyPrefix);
    },
  };
});

describeHubTransport('RedisHubTransport', () => {
  const keyPrefix = uniquePrefix('transport');
  const opened: SseHubTransport[] = [];
  return {
    create: async () => {
      const transport = new RedisHubTransport({ url: REDIS_URL, keyPrefix });
      await transport.connect();
      opened.push(transport);
      return transport;
    },
    dispose: async () => {
      for (const each of opened) await each.close?.();
      await dropPrefix(keyPrefix);
    },
  };
});
