import 'reflect-metadata';
import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Runs before listen (global middleware, pipes...). */
  configure?: (app: INestApplication) => void | Promise<void>;
  /** true: Nest's default logger; a LoggerService: that one (e.g. a CapturedLogs). Default: silent. */
  logger?: boolean | LoggerService;
  /** Fastify only: serve HTTP/2 without TLS (h2c). */
  http2?: boolean;
  /** Listen on this port (default: an ephemeral one). */
  port?: number;
}

/** Starts a real Nest app on 127.0.0.1 with an ephemeral port. */
export async function startApp(platform: Platform, module: Type<unknown>, options: StartOptions = {}): Promise<RunningApp> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(options.http2 ? { http2: true } : undefined);
  const logger = options.logger === true ? undefined : options.logger === undefined || options.logger === false ? false : options.logger;
  const app = await NestFactory.create(module, adapter as never, { logger, abortOnError: false });
  await options.configure?.(app);
  await app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closed = false;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
