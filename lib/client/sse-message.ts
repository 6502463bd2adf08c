/**
 * What `connectSse()` yields. An event map types the stream: `{ progress: { percent: number } }`
 * makes `message.event === 'progress'` narrow `message.data` to `{ percent: number }`.
 */

/** One Server-Sent Event as received, after the rules of the EventSource spec. */
export interface SseMessage<TEvent extends string = string, TData = string> {
  /** The `event:` field, or `'message'` when the frame had none (as `EventSource` reports it). */
  event: TEvent;
  /** The `data:` lines joined with `\n`; parsed JSON with `json: true`. */
  data: TData;
  /** The `id:` field of this frame, `undefined` when it had none. */
  id: string | undefined;
  /**
   * The last id received on this stream, this frame's or an earlier one's (`''` when none yet):
   * what is sent as `Last-Event-ID` on the next reconnect.
   */
  lastEventId: string;
  /** The reconnection delay in ms the server set with `retry:` on this stream, if it did. */
  retry: number | undefined;
}

/**
 * The messages of a stream typed by an event map: a union with one member per event name.
 *
 * @example type Msg = SseMessageOf<{ progress: { percent: number }; done: { url: string } }>;
 */
export type SseMessageOf<TEvents> = {
  [K in keyof TEvents & string]: SseMessage<K, TEvents[K]>;
}[keyof TEvents & string];

/** An event map for text streams: every event's data is a string. */
export type SseTextEventMap<TEvents> = { [K in keyof TEvents]: string };
