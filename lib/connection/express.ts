import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { PlatformResponse } from './platform-response.js';

/** Express (and plain `node:http`): `res` is the raw response; headers and status set so far live on it. */
export class ExpressPlatformResponse implements PlatformResponse {
  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
  ) {}

  routeHeaders(): OutgoingHttpHeaders {
    // Already on the raw response; writeHead() sends them.
    return {};
  }

  removeRouteHeader(name: string): void {
    this.response.removeHeader(name);
  }

  statusCode(): number {
    return this.response.statusCode;
  }

  setStatusCode(code: number): void {
    this.response.statusCode = code;
  }

  setHeader(name: string, value: string): void {
    this.response.setHeader(name, value);
  }

  takeOver(): void {
    // Nothing to do: Nest does not reply for a route whose response is marked handled.
  }
}
