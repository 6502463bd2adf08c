/**
 * What a handler wrapped by `@Sse()` hands to Nest instead of its result: one plain value. Nest
 * then neither flattens an Observable into its interceptor chain nor keeps the chain subscribed
 * for the stream's life, and the SSE interceptor gets the result itself, whatever its kind.
 */
export class SseHandlerResult {
  constructor(readonly value: unknown) {}
}
