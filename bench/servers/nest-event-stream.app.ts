/**
 * This project, as its README shows it: `@Sse()` handlers returning `hub.subscribe()` for the
 * broadcast (the hub serializes each event once for all subscribers) and an async generator for
 * the single stream, on Express or Fastify. The module's defaults are kept (in-memory history
 * included), so the numbers are what a user gets without tuning. The Redis scale-out scenario
 * runs the same app with the hub's store and transport on Redis (`hubOptions`).
 */
import 'reflect-metadata';
import { Controller, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { Sse, SseHub, SseModule, type SseHubOptions } from '../../lib/index.js';
import { generateEvents, type BenchEvent } from './bench-event.js';
import type { BenchServer, BenchServerOptions } from './bench-server.js';

const CHANNEL = 'bench';

@Controller()
class StreamController {
  constructor(private readonly hub: SseHub) {}

  @Sse('fanout')
  fanout() {
    return this.hub.subscribe(CHANNEL);
  }

  @Sse('single')
  single(@Query('count') count: string, @Query('ms') ms: string): AsyncGenerator<BenchEvent> {
    return generateEvents({ count: Number(count), ms: Number(ms) });
  }
}

export async function startNestEventStream(
  platform: 'express' | 'fastify',
  { heartbeatMs }: BenchServerOptions,
  hubOptions?: Pick<SseHubOptions, 'store' | 'transport'>,
): Promise<BenchServer> {
  @Module({ imports: [SseModule.forRoot({ heartbeat: heartbeatMs, ...hubOptions })], controllers: [StreamController] })
  class BenchModule {}

  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(BenchModule, adapter, { logger: false });
  const hub = app.get(SseHub);
  await app.listen(0, '127.0.0.1');
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    publish(event) {
      // The in-process transport delivers before the promise settles; a rejection would be a bug
      // (with Redis: Redis went away, which invalidates the run just as well).
      hub.publish(CHANNEL, event).catch((err: unknown) => {
        console.error('hub.publish failed', err);
        process.exit(1);
      });
    },
    openStreams: () => hub.connections(CHANNEL),
    close: () => app.close(),
  };
}
