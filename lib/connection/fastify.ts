import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { PlatformResponse } from './platform-response.js';

/** The part of a FastifyReply used here (kept structural: fastify is not a dependency). */
export interface FastifyReplyLike {
  raw: ServerResponse;
  request: { raw: IncomingMessage };
  getHeaders(): Record<string, number | string | string[] | undefined>;
  hijack(): unknown;
  header(name: string, value: string): unknown;
  removeHeader(name: string): unknown;
  statusCode: number;
}

export function isFastifyReply(value: unknown): value is FastifyReplyLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FastifyReplyLike).hijack === 'function' &&
    typeof (value as FastifyReplyLike).raw === 'object'
  );
}

/** Fastify: headers and status set on the reply live there until it is sent; the raw response is written after `hijack()`. */
export class FastifyPlatformResponse implements PlatformResponse {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;

  constructor(private readonly reply: FastifyReplyLike) {
    this.request = reply.request.raw;
    this.response = reply.raw;
  }

  routeHeaders(): OutgoingHttpHeaders {
    // A new object each call (the raw response's headers and the reply's, merged).
    return this.reply.getHeaders();
  }

  removeRouteHeader(name: string): void {
    this.reply.removeHeader(name);
  }

  statusCode(): number {
    return this.reply.statusCode;
  }

  setStatusCode(code: number): void {
    this.reply.statusCode = code;
  }

  setHeader(name: string, value: string): void {
    this.reply.header(name, value);
  }

  takeOver(): void {
    this.reply.hijack();
  }
}
