import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExpressPlatformResponse } from './express.js';
import { FastifyPlatformResponse, isFastifyReply } from './fastify.js';
import { NodeHttpConnection } from './node-http-connection.js';
import type { PlatformResponse } from './platform-response.js';
import type { SseConnection } from './sse-connection.js';

/** Picks the adapter for the request/response objects Nest hands to the interceptor. */
export function createPlatformResponse(request: unknown, response: unknown): PlatformResponse {
  if (isFastifyReply(response)) return new FastifyPlatformResponse(response);
  if (typeof (response as ServerResponse)?.writeHead === 'function') {
    return new ExpressPlatformResponse(request as IncomingMessage, response as ServerResponse);
  }
  throw new Error(
    '@Sse() from nest-event-stream supports @nestjs/platform-express and @nestjs/platform-fastify; ' +
      'this response object is neither. Use one of those adapters.',
  );
}

/** The connection of one SSE request. */
export function createConnection(platform: PlatformResponse): SseConnection {
  return new NodeHttpConnection(platform);
}
