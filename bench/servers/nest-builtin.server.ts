/**
 * The default a Nest user has today: `@nestjs/common`'s `@Sse()` returning an Observable fed by a
 * `Subject`, on Express (Nest's default platform). Nest has no heartbeat option, so the usual
 * `interval()` comment is merged in; an async generator has to go through rxjs `from()`.
 */
import 'reflect-metadata';
import { Controller, Injectable, Module, Query, Sse, type MessageEvent } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { defer, finalize, from, interval, map, merge, Subject, type Observable } from 'rxjs';
import { generateEvents, type BenchEvent } from './bench-event.js';
import type { StartBenchServer } from './bench-server.js';

@Injectable()
class Feed {
  readonly events = new Subject<MessageEvent>();
  openStreams = 0;
  heartbeatMs = 15_000;
}

@Controller()
class BuiltinController {
  constructor(private readonly feed: Feed) {}

  @Sse('fanout')
  fanout(): Observable<MessageEvent> {
    return defer(() => {
      this.feed.openStreams++;
      const heartbeat = interval(this.feed.heartbeatMs).pipe(map((): MessageEvent => ({ comment: '' })));
      return merge(this.feed.events, heartbeat).pipe(finalize(() => this.feed.openStreams--));
    });
  }

  @Sse('single')
  single(@Query('count') count: string, @Query('ms') ms: string): Observable<MessageEvent> {
    return from(generateEvents({ count: Number(count), ms: Number(ms) })).pipe(map((data): MessageEvent => ({ data })));
  }
}

@Module({ controllers: [BuiltinController], providers: [Feed] })
class BuiltinModule {}

export const startServer: StartBenchServer = async ({ heartbeatMs }) => {
  const app = await NestFactory.create(BuiltinModule, new ExpressAdapter(), { logger: false });
  const feed = app.get(Feed);
  feed.heartbeatMs = heartbeatMs;
  await app.listen(0, '127.0.0.1');
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    publish(event: BenchEvent) {
      feed.events.next({ data: event });
    },
    openStreams: () => feed.openStreams,
    close: () => app.close(),
  };
};
