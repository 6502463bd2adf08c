/**
 * Development check of `@SseEvents()`: a value of an event the route does not declare is still
 * sent, and logged once per route and event name. It looks at values where the source hands them
 * to the stream (a sink in between), so the source itself (pacing, teardown, head wait) is the
 * same one that runs in production, where nothing is wrapped.
 */
import { Logger } from '@nestjs/common';
import { SSE_GAP_EVENT } from '../hub/hub-subscription.js';
import { SSE_SOURCE, type SourceSink, type SseSource } from '../source/sse-source.js';
import { toSseSource } from '../source/to-sse-source.js';
import { SSE_ERROR_EVENT } from '../sse.constants.js';
import { eventNameOf } from './event-name-of.js';
import { getSseEvents } from './sse-events.decorator.js';

const logger = new Logger('SseEvents');

/** Events of the library itself: never "undeclared" (the error frame, the hub's gap notice). */
const LIBRARY_EVENTS: readonly string[] = [SSE_ERROR_EVENT, SSE_GAP_EVENT];

function checkingSink(sink: SourceSink, see: (value: unknown) => void): SourceSink {
  return {
    get closed() {
      return sink.closed;
    },
    get route() {
      return sink.route;
    },
    open: () => sink.open(),
    openOnFirstValue: () => sink.openOnFirstValue(),
    noContent: () => sink.noContent(),
    write: (value) => {
      see(value);
      return sink.write(value);
    },
    drained: () => sink.drained(),
    next: (value) => {
      see(value);
      sink.next(value);
    },
    error: (err) => sink.error(err),
    complete: () => sink.complete(),
  };
}

/** One per `@Sse()` handler: reads its declaration on first use, and remembers what it warned about. */
export class UndeclaredEventWarning {
  private declared: ReadonlySet<string> | null | undefined;
  private readonly warned = new Set<string>();

  constructor(private readonly route: string) {}

  /**
   * `value` (a handler's settled result), wrapped so that its values are checked on their way to
   * the stream; as it is in production, without a declaration, or when it is not a source (the
   * stream reports that with the route's name).
   */
  wrap(value: unknown, handler: object): unknown {
    if (this.declared === undefined) {
      const metadata = getSseEvents(handler);
      this.declared = metadata ? new Set([...Object.keys(metadata.events), ...LIBRARY_EVENTS]) : null;
    }
    // Routes without a declaration first: reading process.env costs about a microsecond.
    if (this.declared === null || value === null || process.env.NODE_ENV === 'production') return value;
    let source: SseSource | undefined;
    try {
      source = toSseSource(value);
    } catch {
      return value;
    }
    if (!source) return value;
    const inner = source;
    const see = (item: unknown): void => this.see(item);
    return {
      [SSE_SOURCE]: (): SseSource => ({
        start: (sink) => inner.start(checkingSink(sink, see)),
        discard: () => inner.discard(),
      }),
    };
  }

  private see(value: unknown): void {
    const declared = this.declared;
    if (!declared) return;
    let name: string | undefined;
    try {
      name = eventNameOf(value);
    } catch {
      return; // A hostile value: the encoder reports it.
    }
    // At most 100 names remembered (and warned about) per route: event names made from data must not grow it for ever.
    if (name === undefined || declared.has(name) || this.warned.has(name) || this.warned.size >= 100) return;
    this.warned.add(name);
    const known = [...declared].filter((event) => !LIBRARY_EVENTS.includes(event)).join(', ');
    logger.warn(
      `${this.route} sent event "${name}", which its @SseEvents() does not declare (declared: ${known}). ` +
        'Add it to the declaration (the client types and the OpenAPI document come from it), or fix the event name. ' +
        'Checked while NODE_ENV is not "production"; logged once per route and event.',
    );
  }
}
