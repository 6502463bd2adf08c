/**
 * A Lua script run by its SHA1 (EVALSHA), sent whole (EVAL) only when Redis does not have it yet
 * (first use, or after Redis restarted): the append script is a few KiB, sent once, not per publish.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection.js';

export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
