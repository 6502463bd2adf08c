/**
 * How a hub event travels through Redis, in a Stream entry and in a pub/sub message: a header of
 * four lines (channels, value, meta as JSON, the end flag) and the frame text. The frame is
 * serialized once, by the publishing instance; the receiving instance only prepends the id line.
 * JSON never holds a raw newline, so the header splits on them. Pure.
 */
import { compareHubIds, parseHubId, type HubIdPoint } from '../hub/hub-id.js';
import type { HubEvent, HubEventInput } from '../hub/sse-hub-store.js';

/** A message published by the store's append script: `s<id>\n<header><body>`. */
const STORED = 's';
/** A message published by the transport itself (an unstored event): `t<nonce>\n<id>\n<header><frame>`. */
const SENT = 't';

/** The header of an event: channels, value, meta and the end flag, each on its line. */
export function encodeHeader(input: Pick<HubEventInput, 'channels' | 'value' | 'meta' | 'last'>): string {
  return `${JSON.stringify(input.channels)}\n${toJson(input.value, 'value')}\n${toJson(input.meta, 'meta')}\n${input.last ? '1' : ''}\n`;
}

function toJson(value: unknown, what: string): string {
  if (value === undefined) return '';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(
      `nest-event-stream/redis: the published ${what} cannot be sent to other instances as JSON (${(err as Error).message}); publish plain data.`,
    );
  }
  return json ?? '';
}

interface Header {
  channels: string[];
  value: unknown;
  meta: unknown;
  last: boolean;
  /** Where the frame text starts. */
  end: number;
}

function decodeHeader(text: string, start: number): Header {
  const a = text.indexOf('\n', start);
  const b = text.indexOf('\n', a + 1);
  const c = text.indexOf('\n', b + 1);
  const d = text.indexOf('\n', c + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0) throw new Error('nest-event-stream/redis: a malformed event reached this instance');
  const value = text.slice(a + 1, b);
  const meta = text.slice(b + 1, c);
  return {
    channels: JSON.parse(text.slice(start, a)) as string[],
    value: value === '' ? undefined : JSON.parse(value),
    meta: meta === '' ? undefined : JSON.parse(meta),
    last: d > c + 1,
    end: d + 1,
  };
}

function toEvent(id: string, header: Header, frame: string): HubEvent {
  const event: HubEvent = { id, channels: header.channels, frame: Buffer.from(frame, 'utf8'), value: header.value };
  if (header.meta !== undefined) (event as { meta?: unknown }).meta = header.meta;
  if (header.last) (event as { last?: boolean }).last = true;
  return event;
}

/** A Stream entry (its `h` and `b` fields) as an event. */
export function decodeEntry(id: string, header: string, body: string): HubEvent {
  return toEvent(id, decodeHeader(header, 0), `id: ${id}\n${body}`);
}

/** A Stream entry as XRANGE returns it: its id and its fields (`h`, `b`). */
export type StreamEntry = [id: string, fields: string[]];

/** Entries read from several channels' streams, as events: each once (an event on two channels is in both), in id order. */
export function decodeEntries(lists: ReadonlyArray<readonly StreamEntry[]>): HubEvent[] {
  const byId = new Map<string, { event: HubEvent; point: HubIdPoint }>();
  for (const entries of lists) {
    for (const [id, fields] of entries) {
      if (byId.has(id)) continue;
      let header = '';
      let body = '';
      for (let i = 0; i < fields.length; i += 2) {
        if (fields[i] === 'h') header = fields[i + 1]!;
        else if (fields[i] === 'b') body = fields[i + 1]!;
      }
      byId.set(id, { event: decodeEntry(id, header, body), point: parseHubId(id)! });
    }
  }
  const held = [...byId.values()];
  if (lists.length > 1) held.sort((a, b) => compareHubIds(a.point, b.point));
  return held.map((entry) => entry.event);
}

/** The message the append script publishes for a stored event (built in Lua; this is its JS twin, for tests). */
export function storedMessage(id: string, header: string, body: string): string {
  return `${STORED}${id}\n${header}${body}`;
}

/** A message for an event the transport sends itself; `nonce` tells copies on several channels apart. */
export function sentMessage(event: HubEvent, nonce: string): string {
  return `${SENT}${nonce}\n${event.id}\n${encodeHeader(event)}${event.frame.toString('utf8')}`;
}

export type DecodedMessage =
  { readonly stored: true; readonly event: HubEvent } | { readonly stored: false; readonly nonce: string; readonly event: HubEvent };

export function decodeMessage(message: string): DecodedMessage {
  const first = message.indexOf('\n');
  if (first < 1) throw new Error('nest-event-stream/redis: a malformed message reached this instance');
  if (message[0] === STORED) {
    const id = message.slice(1, first);
    const header = decodeHeader(message, first + 1);
    return { stored: true, event: toEvent(id, header, `id: ${id}\n${message.slice(header.end)}`) };
  }
  if (message[0] !== SENT) throw new Error('nest-event-stream/redis: a message of an unknown kind reached this instance');
  const second = message.indexOf('\n', first + 1);
  const header = decodeHeader(message, second + 1);
  return {
    stored: false,
    nonce: message.slice(1, first),
    event: toEvent(message.slice(first + 1, second), header, message.slice(header.end)),
  };
}
