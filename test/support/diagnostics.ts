/** Records the stream lifecycle from the library's diagnostics channels. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { SSE_STREAM_END_CHANNEL, SSE_STREAM_OPEN_CHANNEL, type SseStreamEndMessage, type SseStreamOpenMessage } from '../../lib/index.js';

export interface StreamRecorder {
  opened: SseStreamOpenMessage[];
  ended: SseStreamEndMessage[];
  /** The writer of the streams opened on `route` (matched by its `(GET /path)` part). */
  writersOf(path: string): Array<string | undefined>;
  clear(): void;
  stop(): void;
}

export function recordStreams(): StreamRecorder {
  const onOpen = (message: unknown) => recorder.opened.push(message as SseStreamOpenMessage);
  const onEnd = (message: unknown) => recorder.ended.push(message as SseStreamEndMessage);
  const recorder: StreamRecorder = {
    opened: [],
    ended: [],
    writersOf: (path) => recorder.opened.filter((m) => m.route.endsWith(`(${path})`)).map((m) => m.writer),
    clear: () => {
      recorder.opened.length = 0;
      recorder.ended.length = 0;
    },
    stop: () => {
      unsubscribe(SSE_STREAM_OPEN_CHANNEL, onOpen);
      unsubscribe(SSE_STREAM_END_CHANNEL, onEnd);
    },
  };
  subscribe(SSE_STREAM_OPEN_CHANNEL, onOpen);
  subscribe(SSE_STREAM_END_CHANNEL, onEnd);
  return recorder;
}
