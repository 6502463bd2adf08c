/** Drives the real `eventsource@4.1.1` client and records what it reports. */
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { until } from './until.js';

export interface Received {
  type: string;
  data: string;
  lastEventId: string;
}

export interface EventSourceRecorder {
  source: EventSource;
  events: Received[];
  opens: number;
  errors: number;
  openedAt?: number;
  waitForEvents(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): void;
}

/** Opens an EventSource and records `message` plus the named events given. */
export function recordEventSource(url: string, names: string[] = [], init?: { headers?: Record<string, string> }): EventSourceRecorder {
  const source = new EventSource(url, {
    fetch: init?.headers
      ? (input, options) => fetch(input, { ...options, headers: { ...(options?.headers as Record<string, string>), ...init.headers } })
      : undefined,
  });
  const recorder: EventSourceRecorder = {
    source,
    events: [],
    opens: 0,
    errors: 0,
    waitForEvents: async (count, timeoutMs = 10_000) => {
      await until(() => recorder.events.length >= count, timeoutMs, `${count} events (got ${recorder.events.length})`);
      return recorder.events;
    },
    close: () => source.close(),
  };
  const record = (event: MessageEvent) =>
    recorder.events.push({ type: event.type, data: String(event.data), lastEventId: event.lastEventId });
  source.onmessage = record;
  for (const name of names) source.addEventListener(name, record);
  source.onopen = () => {
    recorder.opens++;
    recorder.openedAt ??= Date.now();
  };
  source.onerror = () => {
    recorder.errors++;
  };
  return recorder;
}

/** Parses raw SSE bytes with eventsource-parser (spec-exact), returning events and comments. */
export function parseSse(text: string): { events: EventSourceMessage[]; comments: string[]; retries: number[] } {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment),
    onRetry: (retry) => retries.push(retry),
  });
  parser.feed(text);
  return { events, comments, retries };
}
