/** Builds the sample app (Express) without listening, so `main.ts` and the browser test share it. */
import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { SampleAppModule } from './app.module.js';
import { StreamSocketsService } from './debug/stream-sockets.service.js';
import { resolvePublicDir } from './public-dir.js';
import type { SampleOptions } from './sample-options.js';

export interface CreateSampleAppOptions extends Partial<SampleOptions> {
  /** Nest's logger levels, or `false` for silence. Default: Nest's default logger. */
  logger?: false | LogLevel[];
}

/**
 * @example
 * const app = await createSampleApp({ jobStepMs: 50 });
 * await app.listen(0);
 */
export async function createSampleApp(init: CreateSampleAppOptions = {}): Promise<NestExpressApplication> {
  const { logger, ...options } = init;
  const app = await NestFactory.create<NestExpressApplication>(SampleAppModule.forRoot(options), new ExpressAdapter(), {
    ...(logger !== undefined && { logger }),
  });
  app.use(app.get(StreamSocketsService).middleware);
  app.useStaticAssets(resolvePublicDir(), { index: 'index.html', maxAge: 0 });
  return app;
}
