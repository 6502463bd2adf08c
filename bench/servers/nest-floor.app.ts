/**
 * The floor: what Nest and the platform cost before any SSE library. A plain `@Get()` route that
 * takes `@Res()`, writes the SSE head and keeps the raw response (Fastify: after `hijack()`);
 * broadcasts and heartbeats are written like the raw `node:http` writer's (one Buffer per event,
 * one timer). No library code: the difference between this row and ours is our own cost.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Inject,
  Module,
  Query,
  Res,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchServer, BenchServerOptions } from './bench-server.js';
import { RawStreams, writeSingleStream } from './raw-streams.js';

const STREAMS = Symbol('RawStreams');

/** Express's `res` is the raw response; Fastify's reply gives it up after `hijack()`. */
function rawResponse(res: ServerResponse | { raw: ServerResponse; hijack(): unknown }): ServerResponse {
  if ('hijack' in res && typeof res.hijack === 'function') {
    res.hijack();
    return res.raw;
  }
  return res as ServerResponse;
}

/** Does nothing: what one interceptor on a route costs in Nest's own request pipeline. */
class PassThroughInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

@Controller()
class FloorController {
  constructor(@Inject(STREAMS) private readonly streams: RawStreams) {}

  @Get('fanout')
  fanout(@Res() res: ServerResponse): void {
    this.streams.add(rawResponse(res));
  }

  @Get('single')
  single(@Res() res: ServerResponse, @Query('count') count: string, @Query('ms') ms: string): void {
    const raw = rawResponse(res);
    writeSingleStream(raw, { count: Number(count), ms: Number(ms) }).catch(() => raw.destroy());
  }
}

/** The same routes behind one interceptor that does nothing (`@Sse()` always applies one). */
@Controller()
@UseInterceptors(PassThroughInterceptor)
class InterceptedFloorController extends FloorController {}

export async function startNestFloor(
  platform: 'express' | 'fastify',
  { heartbeatMs }: BenchServerOptions,
  intercepted = false,
): Promise<BenchServer> {
  const streams = new RawStreams(heartbeatMs);
  const controller: Type<unknown> = intercepted ? InterceptedFloorController : FloorController;
  @Module({ controllers: [controller], providers: [{ provide: STREAMS, useValue: streams }] })
  class FloorModule {}

  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(FloorModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    publish: (event) => streams.publish(event),
    openStreams: () => streams.size,
    async close() {
      streams.close();
      await app.close();
    },
  };
}
