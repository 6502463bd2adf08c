/**
 * The name of the event a value dispatches on the client, by the same rules as the encoder
 * (wire/encode-frame.ts): `undefined` when it dispatches none (a comment, `undefined`).
 */
import { isEnvelope } from '../wire/encode-frame.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import { SseEvent } from '../wire/sse-event.js';

/** The event name an EventSource reports when a frame has no `event:` line. */
export const DEFAULT_EVENT_NAME = 'message';

/** A pre-encoded frame (a hub's): its `event:` line; dispatched only when it has a `data:` line. */
function frameEventName(frame: EncodedFrame): string | undefined {
  let name = '';
  let dispatched = false;
  for (const line of frame.bytes.toString('utf8').split('\n')) {
    if (line.startsWith('event:')) name = line.slice(line.startsWith('event: ') ? 7 : 6);
    else if (line.startsWith('data:')) dispatched = true;
  }
  return dispatched ? name || DEFAULT_EVENT_NAME : undefined;
}

export function eventNameOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') return DEFAULT_EVENT_NAME;
  if (value instanceof EncodedFrame) return frameEventName(value);
  if (value instanceof SseEvent || isEnvelope(value)) {
    const fields = value as { data?: unknown; event?: unknown; type?: unknown };
    if (fields.data === undefined) return undefined;
    const name = fields.event ?? fields.type;
    return typeof name === 'string' && name !== '' ? name : DEFAULT_EVENT_NAME;
  }
  return DEFAULT_EVENT_NAME;
}
