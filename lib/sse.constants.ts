/** Injection token of the options given to `SseModule.forRoot()` / `forRootAsync()`. */
export const SSE_MODULE_OPTIONS = Symbol('SSE_MODULE_OPTIONS');
/** Metadata key of the options given to `@Sse(path, options)`. */
export const SSE_ROUTE_OPTIONS = 'nest-event-stream:route-options';
/** Metadata key: the handler takes Nest's `@SseSignal()` (the request then carries the stream's signal). */
export const SSE_READS_SIGNAL = 'nest-event-stream:reads-signal';
/** Event name of the final frame of a stream that failed after it started. */
export const SSE_ERROR_EVENT = 'error';
