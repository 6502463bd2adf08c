/** The servers a run compares, in table order. `module` is relative to `servers/` (compiled `.js`). */
export interface Competitor {
  id: string;
  label: string;
  module: string;
  /** What is measured, for the README. */
  description: string;
}

export const BUILTIN_ID = 'nest-builtin';
/** This project on Express, the subject of the Redis scale-out scenario's baseline. */
export const EXPRESS_ID = 'nest-event-stream-express';
export const REDIS_ID = 'nest-event-stream-redis';
export const RAW_ID = 'raw-http';
/** The floors: Nest and the platform with no SSE library, what our own cost is measured from. */
export const FLOOR_EXPRESS_ID = 'nest-floor-express';
export const FLOOR_FASTIFY_ID = 'nest-floor-fastify';
export const FLOOR_INTERCEPTED_ID = 'nest-floor-intercepted-fastify';

export const COMPETITORS: readonly Competitor[] = [
  {
    id: EXPRESS_ID,
    label: 'nest-event-stream (Express)',
    module: 'nest-event-stream-express.server.js',
    description: 'this project: `@Sse()` + `SseHub` on `@nestjs/platform-express`',
  },
  {
    id: 'nest-event-stream-fastify',
    label: 'nest-event-stream (Fastify)',
    module: 'nest-event-stream-fastify.server.js',
    description: 'this project: `@Sse()` + `SseHub` on `@nestjs/platform-fastify`',
  },
  {
    id: BUILTIN_ID,
    label: 'Nest built-in @Sse',
    module: 'nest-builtin.server.js',
    description: "`@nestjs/common`'s `@Sse()` returning an Observable fed by a `Subject` (Express)",
  },
  {
    id: 'better-sse',
    label: 'better-sse',
    module: 'better-sse.server.js',
    description: 'better-sse 0.16: a `Session` per request and `Channel.broadcast()` on plain `node:http`',
  },
  {
    id: FLOOR_EXPRESS_ID,
    label: 'floor: Nest @Res() (Express)',
    module: 'nest-floor-express.server.js',
    description:
      'no library: a Nest `@Get()` route taking `@Res()` that writes the SSE head and keeps the raw response; broadcasts written like the raw writer (Express)',
  },
  {
    id: FLOOR_FASTIFY_ID,
    label: 'floor: Nest @Res() (Fastify)',
    module: 'nest-floor-fastify.server.js',
    description: 'the same floor on `@nestjs/platform-fastify` (`reply.hijack()`, then the raw response)',
  },
  {
    id: FLOOR_INTERCEPTED_ID,
    label: 'floor + 1 interceptor (Fastify)',
    module: 'nest-floor-intercepted-fastify.server.js',
    description:
      "the Fastify floor behind one interceptor that only returns `next.handle()`: Nest's own cost of an interceptor on a route (every `@Sse()` route has one)",
  },
  {
    id: RAW_ID,
    label: 'raw node:http',
    module: 'raw-http.server.js',
    description: 'plain `node:http`: each frame serialized once into a Buffer written to every socket (the ceiling)',
  },
];

/**
 * Servers only the Redis scale-out scenario runs (never in the competitor tables): this project's
 * app with the hub on Redis, several processes on one key prefix.
 */
export const SCALE_OUT_SERVERS: readonly Competitor[] = [
  {
    id: REDIS_ID,
    label: 'nest-event-stream on Redis (Express)',
    module: 'nest-event-stream-redis.server.js',
    description: 'the same app with `RedisHubStore` + `RedisHubTransport` (`--redis-url`, `--redis-prefix`)',
  },
];
