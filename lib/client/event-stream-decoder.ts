/**
 * Bytes of one `text/event-stream` response -> messages, through eventsource-parser. Adds what a
 * client needs around the parser: UTF-8 decoding (TextDecoder drops the leading BOM), the
 * `lastEventId` that outlives a frame, the `retry` in effect, and a CR at a chunk's end.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { SseMessage } from './sse-message.js';

export interface EventStreamDecoder {
  /** Feeds a chunk of the body; returns the messages it completed, in order. */
  push(chunk: Uint8Array): SseMessage[];
  /** The body ended: flushes the decoder. An unterminated last frame is dropped, as the spec says. */
  end(): SseMessage[];
  /** Comments (`: text` lines) seen so far. */
  readonly comments: string[];
}

export interface EventStreamDecoderInit {
  /** The `Last-Event-ID` this stream resumes from (`''` for none). */
  lastEventId?: string;
  /** The reconnection delay carried over from an earlier response of the same stream. */
  retry?: number;
  onRetry?: (retryMs: number) => void;
  /** Keep comments in `comments` (off for long-lived clients, so heartbeats do not pile up). */
  keepComments?: boolean;
}

export function createEventStreamDecoder(init: EventStreamDecoderInit = {}): EventStreamDecoder {
  const decoder = new TextDecoder('utf-8');
  const comments: string[] = [];
  let lastEventId = init.lastEventId ?? '';
  let retry = init.retry;
  let pending: SseMessage[] = [];
  let skipLeadingLf = false;
  const parser: EventSourceParser = createParser({
    onEvent: (event) => {
      // The parser forgets an id once its frame is dispatched; the spec keeps it for later frames.
      if (event.id !== undefined) lastEventId = event.id;
      pending.push({ event: event.event ?? 'message', data: event.data, id: event.id, lastEventId, retry });
    },
    onRetry: (retryMs) => {
      retry = retryMs;
      init.onRetry?.(retryMs);
    },
    onComment: init.keepComments ? (comment) => comments.push(comment) : undefined,
  });

  function feed(text: string): SseMessage[] {
    if (text === '') return [];
    if (skipLeadingLf) {
      skipLeadingLf = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    parser.feed(text);
    // A CR that ends a chunk is held by the parser until it sees whether LF follows, so a CR-only
    // stream would deliver each event one chunk late (and lose the last one at the end). Per the
    // spec CR alone ends a line: complete it now and drop the LF of a CRLF split across chunks.
    if (text.endsWith('\r')) {
      parser.feed('\n');
      skipLeadingLf = true;
    }
    const out = pending;
    pending = [];
    return out;
  }

  return {
    comments,
    push: (chunk) => feed(decoder.decode(chunk, { stream: true })),
    end: () => {
      const out = feed(decoder.decode());
      parser.reset();
      return out;
    },
  };
}
