/**
 * The ioredis connections of the Redis store and transport: the app's own client, or one made
 * from a URL. A client made here fails fast while Redis is down (no offline queue), so a publish
 * rejects instead of waiting; and start-up fails with a message naming the URL when Redis cannot
 * be reached.
 */
import { Cluster, Redis } from 'ioredis';

/** An ioredis client: a single node (or Sentinel), or a Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisHubConnectionOptions {
  /** An ioredis client of the app's (single node, Sentinel, TLS, or a `Cluster`); the hub never closes it. */
  client?: RedisClient;
  /** Where Redis runs when no `client` is given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key and pub/sub channel; becomes the Cluster hash tag `{keyPrefix}`. Default `sse`. */
  keyPrefix?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** A command of a connection made from a URL rejects after this long without an answer. */
const COMMAND_TIMEOUT_MS = 5_000;

/** Start-up could not reach Redis. */
export class RedisUnreachableError extends Error {
  constructor(where: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `nest-event-stream/redis: cannot reach Redis at ${where} (${reason}). Start Redis there, or pass the right { url } (or { client }) to RedisHubStore / RedisHubTransport.`,
    );
    this.name = 'RedisUnreachableError';
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A client and whether the hub owns it (made from a URL, so the hub connects and closes it). */
export class RedisLink {
  private lastError: unknown;

  private constructor(
    readonly client: RedisClient,
    readonly owned: boolean,
    readonly where: string,
  ) {
    // ioredis reports every failed reconnect as an 'error' event; without a listener it prints
    // "Unhandled error event". What matters reaches callers as rejected commands.
    client.on('error', (err: unknown) => {
      this.lastError = err;
    });
  }

  static open(options: RedisHubConnectionOptions, what: string): RedisLink {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`new ${what}(options): options must be an object ({ url?, client?, keyPrefix? }).`);
    }
    if (options.client !== undefined && options.url !== undefined) {
      throw new TypeError(`new ${what}(): give either { client } or { url }, not both.`);
    }
    if (options.client !== undefined) {
      if (typeof (options.client as { duplicate?: unknown }).duplicate !== 'function') {
        throw new TypeError(`new ${what}(): { client } must be an ioredis client (new Redis(...)).`);
      }
      return new RedisLink(options.client, false, describeClient(options.client));
    }
    const url = options.url ?? DEFAULT_REDIS_URL;
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new TypeError(`new ${what}(): url is ${JSON.stringify(url)}; expected redis://host:port (or rediss:// for TLS).`);
    }
    const client = new Redis(url, {
      lazyConnect: true,
      // Fail fast while Redis is down (a publish rejects, never waits), never send a command twice
      // after a reconnect (an append would be stored twice), and give up on a silent connection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    return new RedisLink(client, true, redactUrl(url));
  }

  /** A second connection like this one (pub/sub needs its own), owned by the caller; it queues commands while reconnecting. */
  duplicate(): RedisLink {
    const client =
      this.client instanceof Cluster
        ? this.client.duplicate(undefined, { lazyConnect: true, enableOfflineQueue: true })
        : this.client.duplicate({ lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
    return new RedisLink(client, true, this.where);
  }

  /** Connects (when owned) and checks Redis answers; throws RedisUnreachableError naming where. */
  async connect(): Promise<void> {
    try {
      if (this.owned && this.client.status === 'wait') {
        // connect() alone may wait through reconnect attempts; the first error is the answer.
        await new Promise<void>((resolve, reject) => {
          const onError = (err: unknown) => reject(err);
          this.client.once('error', onError);
          this.client.connect().then(
            () => {
              this.client.off('error', onError);
              resolve();
            },
            (err: unknown) => {
              this.client.off('error', onError);
              reject(this.lastError ?? err);
            },
          );
        });
      } else if (this.client.status !== 'ready') {
        await waitReady(this.client);
      }
      await this.client.ping();
    } catch (err) {
      if (this.owned) this.client.disconnect();
      throw new RedisUnreachableError(this.where, this.lastError ?? err);
    }
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

function waitReady(client: RedisClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 10 s (status ${client.status})`)), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function describeClient(client: RedisClient): string {
  if (client instanceof Cluster) return 'a Redis Cluster';
  const { host, port, path } = client.options ?? {};
  return path ? `unix:${path}` : `${host ?? '?'}:${port ?? '?'}`;
}
