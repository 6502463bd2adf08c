/**
 * `GET /instance`: which instance served the page, for its badge ("instance :3000 · hub: redis"), so two
 * tabs on two instances (`npm run start:cluster`) can be told apart.
 */
import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { redactRedisUrl } from '../sample-hub.js';
import { SAMPLE_OPTIONS, type SampleOptions } from '../sample-options.js';

export interface SampleInstance {
  /** The port this request came in on (the instance's own port, behind a proxy too). */
  port: number | null;
  pid: number;
  /** `express` or `fastify`. */
  platform: string;
  hub: 'memory' | 'redis';
  /** With the Redis hub: where (password hidden) and under which key prefix. */
  redis?: { url: string; keyPrefix: string };
}

@Controller('instance')
export class InstanceController {
  constructor(
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  get(@Req() request: Partial<IncomingMessage> & { raw?: IncomingMessage }): SampleInstance {
    const { redisUrl, redisKeyPrefix } = this.options;
    const socket = request.socket ?? request.raw?.socket;
    return {
      port: socket?.localPort ?? null,
      pid: process.pid,
      platform: this.adapterHost.httpAdapter.getType(),
      hub: redisUrl ? 'redis' : 'memory',
      ...(redisUrl && { redis: { url: redactRedisUrl(redisUrl), keyPrefix: redisKeyPrefix } }),
    };
  }
}
