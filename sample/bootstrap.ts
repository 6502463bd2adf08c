/**
 * Builds the sample app without listening, so `main.ts` and the browser test share it. Express by
 * default; `SAMPLE_PLATFORM=fastify` (or `platform: 'fastify'`) runs the same app on Fastify.
 * Swagger UI is at `/docs` on both.
 */
import 'reflect-metadata';
import fastifyStatic from '@fastify/static';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SampleAppModule } from './app.module.js';
import { StreamSocketsService } from './debug/stream-sockets.service.js';
import { setupSampleDocs } from './docs/openapi-docs.js';
import { resolvePublicDir } from './public-dir.js';
import type { SampleOptions } from './sample-options.js';

export type SamplePlatform = 'express' | 'fastify';

export interface CreateSampleAppOptions extends Partial<SampleOptions> {
  /** Nest's logger levels, or `false` for silence. Default: Nest's default logger. */
  logger?: false | LogLevel[];
  /** Default: `SAMPLE_PLATFORM` from the environment, else `express`. */
  platform?: SamplePlatform;
}

/** The platform `SAMPLE_PLATFORM` asks for (`express` or `fastify`). */
export function platformFromEnv(value = process.env.SAMPLE_PLATFORM): SamplePlatform {
  if (value === undefined || value === '' || value === 'express') return 'express';
  if (value === 'fastify') return 'fastify';
  throw new Error(`SAMPLE_PLATFORM is "${value}"; use "express" or "fastify".`);
}

/**
 * The Redis hub `REDIS_URL` and `REDIS_KEY_PREFIX` ask for (`{}`: the in-memory hub). Read by `main.ts`
 * only: `createSampleApp()` never picks Redis up from the environment by itself.
 */
export function redisFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Pick<SampleOptions, 'redisUrl' | 'redisKeyPrefix'>> {
  return {
    ...(env.REDIS_URL && { redisUrl: env.REDIS_URL }),
    ...(env.REDIS_KEY_PREFIX && { redisKeyPrefix: env.REDIS_KEY_PREFIX }),
  };
}

/**
 * @example
 * const app = await createSampleApp({ jobStepMs: 50, platform: 'fastify' });
 * const onRedis = await createSampleApp({ redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'my-sample' });
 * await app.listen(0);
 */
export async function createSampleApp(init: CreateSampleAppOptions = {}): Promise<INestApplication> {
  const { logger, platform = platformFromEnv(), ...options } = init;
  const nestOptions = { ...(logger !== undefined && { logger }) };
  const module = SampleAppModule.forRoot(options);
  if (platform === 'fastify') {
    const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), nestOptions);
    const sockets = app.get(StreamSocketsService);
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (request: { raw: IncomingMessage }, reply: { raw: ServerResponse }, done: () => void) =>
        sockets.middleware(request.raw, reply.raw, done),
      );
    // Registered directly (what useStaticAssets does, without its dynamic import).
    await app.register(fastifyStatic as never, { root: resolvePublicDir(), prefix: '/', index: 'index.html', maxAge: 0 } as never);
    setupSampleDocs(app);
    return app;
  }
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), nestOptions);
  app.use(app.get(StreamSocketsService).middleware);
  app.useStaticAssets(resolvePublicDir(), { index: 'index.html', maxAge: 0 });
  setupSampleDocs(app);
  return app;
}
