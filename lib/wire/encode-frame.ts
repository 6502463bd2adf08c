/**
 * Value -> `text/event-stream` frame text. Pure: no Nest, no sockets. Every frame ends with a
 * blank line and uses LF only (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 */
import { SseSerializationError } from '../errors.js';
import { EncodedFrame } from './encoded-frame.js';
import { SseEvent } from './sse-event.js';
import { assertValidComment, assertValidEvent, assertValidId, assertValidRetry, type EnvelopeFields } from './sse-fields.js';

/** Turns a non-string payload into the text of its `data` field. Default: `JSON.stringify`. */
export type SseSerializer = (value: unknown) => string;

export const jsonSerializer: SseSerializer = (value) => JSON.stringify(value);

const LINE_SPLIT = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;

/** `data: ` lines for a text payload: CR, LF and CRLF each start a new line, as a client splits them. */
export function encodeDataLines(text: string): string {
  if (!HAS_LINE_BREAK.test(text)) return `data: ${text}\n`;
  let out = '';
  for (const line of text.split(LINE_SPLIT)) out += `data: ${line}\n`;
  return out;
}

/** Comment lines (`: text`). Each line of a multi-line comment gets its own colon, so no field leaks. */
export function encodeCommentLines(comment: string): string {
  let out = '';
  for (const line of comment.split(LINE_SPLIT)) out += line === '' ? ':\n' : `: ${line}\n`;
  return out;
}

/** A comment-only frame: clients dispatch no event for it (used for heartbeats and padding). */
export function encodeComment(comment = ''): string {
  return `${encodeCommentLines(comment)}\n`;
}

/** A frame that only sets the client's reconnection delay. */
export function encodeRetry(retryMs: number): string {
  assertValidRetry(retryMs);
  return `retry: ${retryMs}\n\n`;
}

/** The text of a `data` payload: strings as they are, primitives via String(), the rest via the serializer. */
export function payloadText(data: unknown, serializer: SseSerializer): string {
  switch (typeof data) {
    case 'string':
      return data;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(data);
    case 'symbol':
    case 'function':
    case 'undefined':
      throw new SseSerializationError(data, `a ${typeof data} has no data representation`);
    default: {
      let text: unknown;
      try {
        text = serializer(data);
      } catch (err) {
        throw new SseSerializationError(data, `the serializer threw: ${(err as Error)?.message ?? String(err)}`);
      }
      if (typeof text !== 'string') {
        throw new SseSerializationError(data, `the serializer returned ${typeof text}, not a string`);
      }
      return text;
    }
  }
}

/** Validates and encodes envelope fields into one frame. */
export function encodeFields(fields: EnvelopeFields, serializer: SseSerializer = jsonSerializer): string {
  let out = '';
  if (fields.comment !== undefined) {
    assertValidComment(fields.comment);
    out += encodeCommentLines(fields.comment);
  }
  const event = fields.event ?? fields.type;
  if (event !== undefined) {
    assertValidEvent(event);
    out += `event: ${event}\n`;
  }
  if (fields.id !== undefined) {
    assertValidId(fields.id);
    out += `id: ${fields.id}\n`;
  }
  if (fields.retry !== undefined) {
    assertValidRetry(fields.retry);
    out += `retry: ${fields.retry}\n`;
  }
  if (fields.data !== undefined) out += encodeDataLines(payloadText(fields.data, serializer));
  return `${out}\n`;
}

/**
 * True for a plain object whose own keys are all envelope fields and that carries `data` or
 * `comment`: Nest's `MessageEvent` and `{ data, event, id }` literals.
 */
export function isEnvelope(value: object): value is EnvelopeFields {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let hasPayload = false;
  // for...in, not Object.keys(): no array per value (called for every published object). With
  // the prototype checked above, it sees own enumerable keys only.
  for (const key in value) {
    switch (key) {
      case 'data':
      case 'comment':
        if ((value as EnvelopeFields)[key] !== undefined) hasPayload = true;
        break;
      case 'event':
      case 'type':
      case 'id':
      case 'retry':
        break;
      default:
        return false;
    }
  }
  return hasPayload;
}

/**
 * Encodes one yielded value as a frame. Returns bytes for pre-encoded frames, text otherwise,
 * and `undefined` for `undefined` (nothing to send).
 */
export function encodeValue(value: unknown, serializer: SseSerializer = jsonSerializer): string | Buffer | undefined {
  switch (typeof value) {
    case 'string':
      return `${encodeDataLines(value)}\n`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `data: ${String(value)}\n\n`;
    case 'undefined':
      return undefined;
    case 'object':
      if (value === null) break;
      if (value instanceof EncodedFrame) return value.bytes;
      if (value instanceof SseEvent) return encodeFields(value, serializer);
      if (isEnvelope(value)) return encodeFields(value, serializer);
      break;
    default:
      break;
  }
  const text = payloadText(value, serializer);
  // JSON.stringify escapes CR and LF: its text is always one line.
  return serializer === jsonSerializer && typeof value === 'object' ? `data: ${text}\n\n` : `${encodeDataLines(text)}\n`;
}

/**
 * The value without its own `id`, for code that assigns ids itself (the hub, resumable streams):
 * an `SseEvent` or envelope loses its `id` field; any other value (a plain data object with an
 * `id` property included) is data and stays as it is.
 */
export function withoutId(value: unknown): unknown {
  if (value instanceof SseEvent) return value.id === undefined ? value : new SseEvent({ ...value, id: undefined });
  if (value !== null && typeof value === 'object' && isEnvelope(value) && value.id !== undefined) {
    const { id: _id, ...rest } = value;
    return rest;
  }
  return value;
}
