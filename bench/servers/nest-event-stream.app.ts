/**
 * This project, as its README shows it: `@Sse()` handlers returning `hub.subscribe()` for the
 * broadcast and an async generator for the single stream, on Express or Fastify.
 */
import 'reflect-metadata';
import { Controller, Injectable, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { Subject, type Observable } from 'rxjs';
import { CleanUp, Sse, SseModule } from '../../lib/index.js';
import { generateEvents, type BenchEvent } from './bench-event.js';
import type { BenchServer, BenchServerOptions } from './bench-server.js';

// TODO(bench): switch to SseHub (hub.subscribe / hub.publish) once lib/hub/sse-hub.ts lands.
@Injectable()
class Feed {
  readonly events = new Subject<BenchEvent>();
  openStreams = 0;
}

@Controller()
class StreamController {
  constructor(private readonly feed: Feed) {}

  @Sse('fanout')
  fanout(cleanUp: CleanUp): Observable<BenchEvent> {
    this.feed.openStreams++;
    cleanUp.add(() => {
      this.feed.openStreams--;
    });
    return this.feed.events.asObservable();
  }

  @Sse('single')
  single(@Query('count') count: string, @Query('ms') ms: string): AsyncGenerator<BenchEvent> {
    return generateEvents({ count: Number(count), ms: Number(ms) });
  }
}

export async function startNestEventStream(platform: 'express' | 'fastify', { heartbeatMs }: BenchServerOptions): Promise<BenchServer> {
  @Module({ imports: [SseModule.forRoot({ heartbeat: heartbeatMs })], controllers: [StreamController], providers: [Feed] })
  class BenchModule {}

  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(BenchModule, adapter, { logger: false });
  const feed = app.get(Feed);
  await app.listen(0, '127.0.0.1');
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    publish(event) {
      feed.events.next(event);
    },
    openStreams: () => feed.openStreams,
    close: () => app.close(),
  };
}
