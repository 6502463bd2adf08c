/**
 * One app instance of a scaled-out deployment, as a program of its own: the hub on Redis
 * (`RedisHubStore` + `RedisHubTransport`), so that several of these processes on one Redis act as
 * one hub. Used by test/redis-instances.e2e-spec.ts; runnable by hand:
 *
 *   PORT=3001 REDIS_KEY_PREFIX=demo node dist/bench/servers/redis-instance.js
 *   PORT=3002 REDIS_KEY_PREFIX=demo PLATFORM=fastify node dist/bench/servers/redis-instance.js
 *   curl -N localhost:3001/sse/news & curl -XPOST -H 'content-type: application/json' -d '{"a":1}' localhost:3002/publish/news
 *
 * Environment: `PORT` (default 0: any free port), `PLATFORM` (`express`, the default, or
 * `fastify`), `REDIS_URL` (default redis://127.0.0.1:6379), `REDIS_KEY_PREFIX` (default `sse`;
 * every instance of one deployment needs the same), `HEARTBEAT_MS` (default 15000), `LEASE_MS`
 * (resumable streams' lease, default 10000), `INSTANCE_TIMEOUT_MS` (default 15000).
 *
 * Routes: `GET /sse/:channel` (resumes after `Last-Event-ID`; `?user=` joins the channel's
 * presence), `POST /publish/:channel` with a JSON body, answering `{ id }` once the event is
 * stored and published, `POST /streams/:key` starts a resumable stream (a token every 50 ms, 1000
 * tokens) and `GET /streams/:key` resumes it. Prints `ready <port>` on
 * stdout once listening; SIGTERM/SIGINT close the app (streams end, Redis connections quit) and
 * exit 0.
 */
import 'reflect-metadata';
import { Body, Controller, Module, Param, Post, Query } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { LastEventId, Sse, SseHub, SseModule } from '../../lib/index.js';
import { RedisHubStore, RedisHubTransport } from '../../lib/redis/index.js';

@Controller()
class InstanceController {
  constructor(private readonly hub: SseHub) {}

  @Sse('sse/:channel')
  stream(@Param('channel') channel: string, @Query('user') user?: string, @LastEventId() lastEventId?: string) {
    return this.hub.subscribe(channel, { lastEventId, ...(user && { presence: { user }, presenceKey: user }) });
  }

  @Sse('streams/:key', { method: 'POST' })
  start(@Param('key') key: string) {
    return this.hub.startStream(key, async function* (signal: AbortSignal) {
      for (let i = 1; i <= 1000 && !signal.aborted; i++) {
        await sleep(50);
        yield { event: 'token', data: `t${i}` };
      }
    });
  }

  @Sse('streams/:key')
  resume(@Param('key') key: string, @LastEventId() lastEventId?: string) {
    return this.hub.resumeStream(key, { lastEventId });
  }

  @Post('publish/:channel')
  async publish(@Param('channel') channel: string, @Body() body: unknown): Promise<{ id: string }> {
    return { id: await this.hub.publish(channel, body) };
  }
}

function readPlatform(): 'express' | 'fastify' {
  const platform = process.env.PLATFORM ?? 'express';
  if (platform !== 'express' && platform !== 'fastify')
    throw new Error(`PLATFORM is ${JSON.stringify(platform)}; expected express or fastify`);
  return platform;
}

async function main(): Promise<void> {
  const platform = readPlatform();
  const port = Number(process.env.PORT ?? 0);
  const url = process.env.REDIS_URL || undefined;
  const keyPrefix = process.env.REDIS_KEY_PREFIX || undefined;
  const heartbeat = Number(process.env.HEARTBEAT_MS ?? 15_000);
  const leaseMs = Number(process.env.LEASE_MS ?? 10_000);
  const instanceTimeoutMs = Number(process.env.INSTANCE_TIMEOUT_MS ?? 15_000);

  @Module({
    imports: [
      SseModule.forRoot({
        heartbeat,
        store: new RedisHubStore({ url, keyPrefix }),
        transport: new RedisHubTransport({ url, keyPrefix, instanceTimeoutMs }),
        resumable: { leaseMs },
      }),
    ],
    controllers: [InstanceController],
  })
  class InstanceModule {}

  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(InstanceModule, adapter, { logger: ['error', 'warn'] });
  await app.listen(port, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`redis-instance: app.close() after ${signal} failed`, err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.stdout.write(`ready ${address.port}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
