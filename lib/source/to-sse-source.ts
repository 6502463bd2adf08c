import { IteratorSource } from './iterator-source.js';
import { ObservableSource } from './observable-source.js';
import { resolveSource } from './resolve-source.js';
import { providesSseSource, SSE_SOURCE, type SourceSink, type SseSource } from './sse-source.js';

const noop = (): void => undefined;

/** `null`: 204 No Content, which tells an EventSource to stop reconnecting. */
const NO_CONTENT: SseSource = {
  start(sink: SourceSink) {
    sink.noContent();
    return noop;
  },
  discard: noop,
};

/** Any handler result as a source, or `undefined` when it is not one (a string, a plain object...). */
export function toSseSource(value: unknown): SseSource | undefined {
  if (providesSseSource(value)) return value[SSE_SOURCE]();
  const resolved = resolveSource(value);
  if (!resolved) return undefined;
  switch (resolved.kind) {
    case 'none':
      return NO_CONTENT;
    case 'pull':
      return new IteratorSource(resolved.iterator);
    case 'push':
      return new ObservableSource(resolved.observable);
  }
}
