import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { SseFieldError, SseSerializationError } from '../errors.js';
import {
  encodeComment,
  encodeCommentLines,
  encodeDataLines,
  encodeFields,
  encodeRetry,
  encodeValue,
  isEnvelope,
  jsonSerializer,
  payloadText,
  type SseSerializer,
} from './encode-frame.js';
import { EncodedFrame } from './encoded-frame.js';
import { SseEvent } from './sse-event.js';

interface Parsed {
  events: EventSourceMessage[];
  comments: string[];
  retries: number[];
  errors: Error[];
}

/** Parses frame text the way an EventSource client does (eventsource-parser 3). */
function parse(...chunks: string[]): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [], errors: [] };
  const parser = createParser({
    onEvent: (event) => out.events.push(event),
    onComment: (comment) => out.comments.push(comment),
    onRetry: (retry) => out.retries.push(retry),
    onError: (error) => out.errors.push(error),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return out;
}

/** encodeValue for values that encode as text (everything but EncodedFrame). */
function frame(value: unknown, serializer?: SseSerializer): string {
  const out = encodeValue(value, serializer);
  if (typeof out !== 'string') throw new Error(`expected text, got ${typeof out}`);
  return out;
}

/** What a client's data is after the spec splits lines on CR, LF and CRLF and joins them with LF. */
const normalizeNewlines = (text: string): string => text.replace(/\r\n|\r/g, '\n');

describe('encodeValue: strings', () => {
  it('sends a single-line string as one data line', () => {
    expect(frame('hello')).toBe('data: hello\n\n');
  });

  it('splits on LF', () => {
    expect(frame('a\nb')).toBe('data: a\ndata: b\n\n');
  });

  it('splits on CR', () => {
    expect(frame('a\rb')).toBe('data: a\ndata: b\n\n');
  });

  it('treats CRLF as one line break', () => {
    expect(frame('a\r\nb')).toBe('data: a\ndata: b\n\n');
  });

  it('handles mixed line breaks, LFCR being two breaks', () => {
    expect(frame('1\r\n2\n3\r4\n\r5')).toBe('data: 1\ndata: 2\ndata: 3\ndata: 4\ndata: \ndata: 5\n\n');
  });

  it('keeps empty lines between breaks as empty data lines', () => {
    expect(frame('a\n\nb')).toBe('data: a\ndata: \ndata: b\n\n');
  });

  it('sends the empty string as one empty data line (a client dispatches an empty message)', () => {
    expect(frame('')).toBe('data: \n\n');
    expect(parse(frame('')).events).toEqual([{ id: undefined, event: undefined, data: '' }]);
  });

  it('keeps whitespace-only strings as they are', () => {
    expect(frame('   ')).toBe('data:    \n\n');
    expect(frame('\t')).toBe('data: \t\n\n');
    expect(parse(frame('  ')).events[0].data).toBe('  ');
  });

  it('keeps leading spaces (the one space after the colon is the separator)', () => {
    expect(parse(frame(' x')).events[0].data).toBe(' x');
  });

  it('turns a trailing newline into a trailing empty data line', () => {
    expect(frame('a\n')).toBe('data: a\ndata: \n\n');
    expect(parse(frame('a\n')).events[0].data).toBe('a\n');
    expect(frame('\n')).toBe('data: \ndata: \n\n');
  });

  it('does not treat U+2028, U+2029, NUL or NEL as line breaks', () => {
    const text = 'a\u2028b\u2029c\0d\u0085e';
    expect(frame(text)).toBe(`data: ${text}\n\n`);
  });

  it('keeps strings that look like fields as data', () => {
    expect(frame('event: x')).toBe('data: event: x\n\n');
    expect(parse(frame('id: 1\nevent: boom')).events).toEqual([{ id: undefined, event: undefined, data: 'id: 1\nevent: boom' }]);
  });

  it('does not pass strings through the serializer', () => {
    const serializer = () => 'SERIALIZED';
    expect(frame('plain', serializer)).toBe('data: plain\n\n');
  });
});

describe('encodeValue: primitives', () => {
  it.each([
    [42, 'data: 42\n\n'],
    [0, 'data: 0\n\n'],
    [-1.5, 'data: -1.5\n\n'],
    [NaN, 'data: NaN\n\n'],
    [Infinity, 'data: Infinity\n\n'],
    [1e21, 'data: 1e+21\n\n'],
    [true, 'data: true\n\n'],
    [false, 'data: false\n\n'],
    [123n, 'data: 123\n\n'],
    [2n ** 70n, `data: ${String(2n ** 70n)}\n\n`],
  ])('sends %p as String(value)', (value, expected) => {
    expect(frame(value)).toBe(expected);
  });

  it('does not pass primitives through the serializer', () => {
    const serializer = forbiddenSerializer();
    expect(frame(7, serializer)).toBe('data: 7\n\n');
    expect(frame(true, serializer)).toBe('data: true\n\n');
    expect(frame(7n, serializer)).toBe('data: 7\n\n');
  });

  it('sends nothing for undefined', () => {
    expect(encodeValue(undefined)).toBeUndefined();
  });

  it('sends null as JSON null', () => {
    expect(frame(null)).toBe('data: null\n\n');
  });

  it.each([
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['a class', class Foo {}],
  ])('rejects %s with SseSerializationError', (_name, value) => {
    expect(() => encodeValue(value)).toThrow(SseSerializationError);
  });

  it('names the type in the serialization error', () => {
    expect(() => encodeValue(Symbol('s'))).toThrow(/a symbol has no data representation/);
    expect(() => encodeValue(function named() {})).toThrow(/a function has no data representation/);
  });
});

/** A serializer that fails the test if it is called. */
function forbiddenSerializer(): SseSerializer {
  return () => {
    throw new Error('serializer must not be called');
  };
}

describe('encodeValue: objects and arrays', () => {
  it('sends a plain object as its JSON', () => {
    expect(frame({ a: 1, b: 'x' })).toBe('data: {"a":1,"b":"x"}\n\n');
  });

  it('sends an empty object as {}', () => {
    expect(frame({})).toBe('data: {}\n\n');
  });

  it('sends arrays as JSON, even arrays of envelopes', () => {
    expect(frame([1, 'a', null])).toBe('data: [1,"a",null]\n\n');
    expect(frame([{ data: 'x' }])).toBe('data: [{"data":"x"}]\n\n');
    expect(frame([])).toBe('data: []\n\n');
  });

  it('honours toJSON', () => {
    expect(frame({ toJSON: () => ({ replaced: true }) })).toBe('data: {"replaced":true}\n\n');
    expect(frame(new Date(0))).toBe('data: "1970-01-01T00:00:00.000Z"\n\n');
  });

  it('sends class instances as JSON, even when their keys look like an envelope', () => {
    class Message {
      constructor(
        readonly data: string,
        readonly id: string,
      ) {}
    }
    expect(frame(new Message('x', '1'))).toBe('data: {"data":"x","id":"1"}\n\n');
  });

  it('sends an object with extra keys besides envelope keys as JSON', () => {
    expect(frame({ data: 'x', id: '1', user: 'u' })).toBe('data: {"data":"x","id":"1","user":"u"}\n\n');
  });

  it('sends an object with only an id (no data, no comment) as JSON', () => {
    expect(frame({ id: '7' })).toBe('data: {"id":"7"}\n\n');
    expect(frame({ id: '7', event: 'e' })).toBe('data: {"id":"7","event":"e"}\n\n');
  });

  it('sends an object whose data and comment are undefined as JSON', () => {
    expect(frame({ data: undefined, event: 'x' })).toBe('data: {"event":"x"}\n\n');
  });

  it('keeps JSON that contains line breaks on one line (JSON escapes them)', () => {
    expect(frame({ text: 'a\nb\r\nc' })).toBe('data: {"text":"a\\nb\\r\\nc"}\n\n');
  });

  it('splits a custom serializer output on line breaks', () => {
    const pretty: SseSerializer = (value) => JSON.stringify(value, null, 1);
    expect(frame({ a: 1 }, pretty)).toBe('data: {\ndata:  "a": 1\ndata: }\n\n');
  });

  it('passes objects to a custom serializer', () => {
    const seen: unknown[] = [];
    const serializer: SseSerializer = (value) => {
      seen.push(value);
      return 'S';
    };
    const value = { a: 1 };
    expect(frame(value, serializer)).toBe('data: S\n\n');
    expect(seen).toEqual([value]);
    expect(seen[0]).toBe(value);
  });

  it('raises SseSerializationError when the serializer throws, with its message', () => {
    const serializer: SseSerializer = () => {
      throw new Error('nope');
    };
    expect(() => encodeValue({ a: 1 }, serializer)).toThrow(SseSerializationError);
    expect(() => encodeValue({ a: 1 }, serializer)).toThrow(/the serializer threw: nope/);
  });

  it('raises SseSerializationError when the serializer throws a non-error', () => {
    const serializer: SseSerializer = () => {
      throw 'plain string';
    };
    expect(() => encodeValue({ a: 1 }, serializer)).toThrow(SseSerializationError);
  });

  it.each([
    ['undefined', undefined],
    ['number', 1],
    ['object', { text: 'x' }],
    ['object', null],
  ])('raises SseSerializationError when the serializer returns %s', (type, returned) => {
    const serializer = (() => returned) as unknown as SseSerializer;
    expect(() => encodeValue({ a: 1 }, serializer)).toThrow(SseSerializationError);
    expect(() => encodeValue({ a: 1 }, serializer)).toThrow(`the serializer returned ${type}, not a string`);
  });

  it('raises SseSerializationError when JSON.stringify gives undefined or throws', () => {
    expect(() => encodeValue({ toJSON: () => undefined })).toThrow(SseSerializationError);
    expect(() => encodeValue({ big: 1n })).toThrow(SseSerializationError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encodeValue(circular)).toThrow(SseSerializationError);
  });

  it('describes values with a null prototype without throwing while building the error', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    const serializer: SseSerializer = () => {
      throw new Error('x');
    };
    expect(() => encodeValue(value, serializer)).toThrow(/Cannot serialize \[object Object\]/);
  });

  it('returns the bytes of a pre-encoded frame unchanged', () => {
    const encoded = EncodedFrame.fromText('id: 1\ndata: é\n\n', '1', { any: 'value' });
    const out = encodeValue(encoded, forbiddenSerializer());
    expect(out).toBe(encoded.bytes);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect((out as Buffer).toString('utf8')).toBe('id: 1\ndata: é\n\n');
  });
});

describe('encodeValue: event envelopes', () => {
  it("encodes Nest's MessageEvent { data, type, id, retry }", () => {
    expect(frame({ data: { n: 1 }, type: 'tick', id: '5', retry: 1000 })).toBe('event: tick\nid: 5\nretry: 1000\ndata: {"n":1}\n\n');
  });

  it('encodes { data } alone', () => {
    expect(frame({ data: 'x' })).toBe('data: x\n\n');
  });

  it('encodes { data: null } as JSON null data', () => {
    expect(frame({ data: null })).toBe('data: null\n\n');
  });

  it('encodes string data with line breaks inside an envelope', () => {
    expect(frame({ data: 'a\r\nb', event: 'e' })).toBe('event: e\ndata: a\ndata: b\n\n');
  });

  it('encodes primitive data inside an envelope', () => {
    expect(frame({ data: 3 })).toBe('data: 3\n\n');
    expect(frame({ data: false })).toBe('data: false\n\n');
    expect(frame({ data: 9n })).toBe('data: 9\n\n');
  });

  it('encodes a comment-only envelope as comment lines (no event dispatched)', () => {
    const text = frame({ comment: 'ping' });
    expect(text).toBe(': ping\n\n');
    expect(parse(text)).toMatchObject({ events: [], comments: ['ping'] });
  });

  it('prefers event over type when both are given', () => {
    expect(frame({ data: 1, event: 'a', type: 'b' })).toBe('event: a\ndata: 1\n\n');
  });

  it('accepts a numeric id', () => {
    expect(frame({ data: 1, id: 42 })).toBe('id: 42\ndata: 1\n\n');
  });

  it('accepts an empty id (which resets the client last event id)', () => {
    expect(frame({ data: 1, id: '' })).toBe('id: \ndata: 1\n\n');
  });

  it('writes fields in the order comment, event, id, retry, data', () => {
    expect(frame({ retry: 1, data: 'd', id: 'i', comment: 'c', event: 'e' })).toBe(': c\nevent: e\nid: i\nretry: 1\ndata: d\n\n');
  });

  it('accepts an envelope with a null prototype', () => {
    const value = Object.assign(Object.create(null) as object, { data: 'x', event: 'e' });
    expect(frame(value)).toBe('event: e\ndata: x\n\n');
  });

  it('sends envelope data that is an object through the serializer', () => {
    expect(frame({ data: { a: 1 } }, (value) => `<${JSON.stringify(value)}>`)).toBe('data: <{"a":1}>\n\n');
  });

  it.each([
    ['a symbol', Symbol('x')],
    ['a function', () => 1],
  ])('rejects envelope data that is %s', (_name, data) => {
    expect(() => encodeValue({ data })).toThrow(SseSerializationError);
  });

  it('prefixes every line of a multi-line comment', () => {
    const text = frame({ comment: 'one\ntwo\r\nthree\rfour', data: 'd' });
    expect(text).toBe(': one\n: two\n: three\n: four\ndata: d\n\n');
    const parsed = parse(text);
    expect(parsed.comments).toEqual(['one', 'two', 'three', 'four']);
    expect(parsed.events).toEqual([{ id: undefined, event: undefined, data: 'd' }]);
    expect(parsed.errors).toEqual([]);
  });

  it('keeps a comment that looks like a field from becoming one', () => {
    const parsed = parse(frame({ comment: 'x\ndata: injected\nid: 9' }));
    expect(parsed.events).toEqual([]);
    expect(parsed.comments).toEqual(['x', 'data: injected', 'id: 9']);
  });

  it('writes empty comment lines as a bare colon', () => {
    expect(frame({ comment: '' })).toBe(':\n\n');
    expect(frame({ comment: 'a\n\nb' })).toBe(': a\n:\n: b\n\n');
  });
});

describe('encodeValue: invalid fields are never written', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['id with LF', { data: 'x', id: 'a\nb' }, 'id'],
    ['id with CR', { data: 'x', id: 'a\rb' }, 'id'],
    ['id with CRLF', { data: 'x', id: 'a\r\n' }, 'id'],
    ['id with NUL', { data: 'x', id: 'a\0b' }, 'id'],
    ['id that is NaN', { data: 'x', id: NaN }, 'id'],
    ['id that is Infinity', { data: 'x', id: Infinity }, 'id'],
    ['id that is an object', { data: 'x', id: { a: 1 } }, 'id'],
    ['id that is a boolean', { data: 'x', id: true }, 'id'],
    ['event with LF', { data: 'x', event: 'a\nb' }, 'event'],
    ['event with CR', { data: 'x', event: 'a\rb' }, 'event'],
    ['type with LF', { data: 'x', type: 'a\ndata: evil' }, 'event'],
    ['event that is a number', { data: 'x', event: 5 }, 'event'],
    ['retry negative', { data: 'x', retry: -1 }, 'retry'],
    ['retry float', { data: 'x', retry: 1.5 }, 'retry'],
    ['retry NaN', { data: 'x', retry: NaN }, 'retry'],
    ['retry Infinity', { data: 'x', retry: Infinity }, 'retry'],
    ['retry unsafe integer', { data: 'x', retry: 2 ** 60 }, 'retry'],
    ['retry string', { data: 'x', retry: '1000' }, 'retry'],
    ['retry bigint', { data: 'x', retry: 10n }, 'retry'],
    ['comment that is a number', { comment: 5 }, 'comment'],
  ];

  it.each(cases)('rejects an envelope with %s', (_name, value, field) => {
    let result: unknown = 'not assigned';
    let error: unknown;
    try {
      result = encodeValue(value);
    } catch (err) {
      error = err;
    }
    expect(result).toBe('not assigned');
    expect(error).toBeInstanceOf(SseFieldError);
    expect((error as SseFieldError).field).toBe(field);
    expect((error as SseFieldError).message).toContain(`"${field}"`);
  });

  it('rejects the same fields when building an SseEvent', () => {
    expect(() => new SseEvent({ id: 'a\nb' })).toThrow(SseFieldError);
    expect(() => new SseEvent({ id: 'a\0' })).toThrow(SseFieldError);
    expect(() => new SseEvent({ event: 'a\r' })).toThrow(SseFieldError);
    expect(() => new SseEvent({ retry: -5 })).toThrow(SseFieldError);
    expect(() => new SseEvent({ retry: 0.5 })).toThrow(SseFieldError);
    expect(() => new SseEvent({ retry: '5' as unknown as number })).toThrow(SseFieldError);
  });

  it('accepts the boundary values', () => {
    expect(frame({ data: 'x', retry: 0 })).toBe('retry: 0\ndata: x\n\n');
    expect(frame({ data: 'x', retry: Number.MAX_SAFE_INTEGER })).toBe(`retry: ${Number.MAX_SAFE_INTEGER}\ndata: x\n\n`);
    expect(frame({ data: 'x', id: 'a\u2028b' })).toBe('id: a\u2028b\ndata: x\n\n');
    expect(frame({ data: 'x', event: 'a\0b' })).toBe('event: a\0b\ndata: x\n\n');
  });

  it('says what to do in the message', () => {
    expect(() => encodeValue({ data: 'x', id: 'a\nb' })).toThrow(/encodeURIComponent/);
    expect(() => encodeValue({ data: 'x', retry: -1 })).toThrow(/non-negative integer/);
  });
});

describe('encodeValue: SseEvent', () => {
  it('writes exactly the given fields', () => {
    expect(frame(new SseEvent({ data: 'x' }))).toBe('data: x\n\n');
    expect(frame(new SseEvent({ event: 'progress', id: '3', data: { percent: 50 } }))).toBe(
      'event: progress\nid: 3\ndata: {"percent":50}\n\n',
    );
  });

  it('writes all fields in the order comment, event, id, retry, data', () => {
    expect(frame(new SseEvent({ data: 'd', retry: 10, id: 7, event: 'e', comment: 'c' }))).toBe(
      ': c\nevent: e\nid: 7\nretry: 10\ndata: d\n\n',
    );
  });

  it('writes an SseEvent without data as a frame that dispatches nothing', () => {
    const idOnly = frame(new SseEvent({ id: '9' }));
    expect(idOnly).toBe('id: 9\n\n');
    expect(parse(idOnly).events).toEqual([]);
    const retryOnly = frame(new SseEvent({ retry: 3000 }));
    expect(retryOnly).toBe('retry: 3000\n\n');
    expect(parse(retryOnly).retries).toEqual([3000]);
    expect(frame(new SseEvent({ event: 'e' }))).toBe('event: e\n\n');
  });

  it('encodes an empty SseEvent as a lone blank line, which a client ignores', () => {
    const text = frame(new SseEvent({}));
    expect(text).toBe('\n');
    expect(parse('data: a\n\n', text, 'data: b\n\n').events.map((e) => e.data)).toEqual(['a', 'b']);
  });

  it('does not treat SseEvent subclasses as JSON', () => {
    class Progress extends SseEvent<number> {
      constructor(percent: number) {
        super({ event: 'progress', data: percent });
      }
    }
    expect(frame(new Progress(5))).toBe('event: progress\ndata: 5\n\n');
  });

  it('uses the serializer for object data', () => {
    expect(frame(new SseEvent({ data: [1, 2] }), (v) => `custom:${JSON.stringify(v)}`)).toBe('data: custom:[1,2]\n\n');
  });

  it('ignores fields given as undefined', () => {
    expect(frame(new SseEvent({ data: 1, event: undefined, id: undefined, retry: undefined, comment: undefined }))).toBe('data: 1\n\n');
  });

  it('encodes a spread copy of an SseEvent (a plain envelope) the same way', () => {
    const event = new SseEvent({ data: { a: 1 }, event: 'e', id: '1' });
    expect(frame({ ...event })).toBe(frame(event));
  });
});

describe('isEnvelope', () => {
  it.each([
    [{ data: 1 }, true],
    [{ comment: 'c' }, true],
    [{ data: 1, event: 'e', type: 't', id: 'i', retry: 1, comment: 'c' }, true],
    [{ data: undefined, comment: 'c' }, true],
    [{ data: null }, true],
    [{}, false],
    [{ id: '1' }, false],
    [{ event: 'e', retry: 1 }, false],
    [{ data: undefined }, false],
    [{ data: 1, extra: 2 }, false],
    [{ Data: 1 }, false],
    [[1], false],
    [new Map([['data', 1]]), false],
  ])('%p -> %p', (value, expected) => {
    expect(isEnvelope(value)).toBe(expected);
  });

  it('rejects class instances', () => {
    class Envelope {
      data = 1;
    }
    expect(isEnvelope(new Envelope())).toBe(false);
  });

  it('accepts objects with a null prototype', () => {
    expect(isEnvelope(Object.assign(Object.create(null) as object, { data: 1 }))).toBe(true);
  });
});

describe('helpers', () => {
  it('encodeDataLines ends each line with LF and adds no blank line', () => {
    expect(encodeDataLines('a')).toBe('data: a\n');
    expect(encodeDataLines('a\r\nb')).toBe('data: a\ndata: b\n');
  });

  it('encodeCommentLines prefixes each line', () => {
    expect(encodeCommentLines('a\rb')).toBe(': a\n: b\n');
  });

  it('encodeComment makes a comment-only frame', () => {
    expect(encodeComment()).toBe(':\n\n');
    expect(encodeComment('hb')).toBe(': hb\n\n');
    expect(encodeComment('a\nb')).toBe(': a\n: b\n\n');
    expect(parse(encodeComment('hb'))).toMatchObject({ events: [], comments: ['hb'] });
  });

  it('encodeRetry makes a retry-only frame and validates it', () => {
    expect(encodeRetry(2500)).toBe('retry: 2500\n\n');
    expect(parse(encodeRetry(2500))).toMatchObject({ events: [], retries: [2500] });
    expect(() => encodeRetry(-1)).toThrow(SseFieldError);
    expect(() => encodeRetry(1.1)).toThrow(SseFieldError);
  });

  it('payloadText turns undefined into a serialization error', () => {
    expect(() => payloadText(undefined, jsonSerializer)).toThrow(SseSerializationError);
  });

  it('encodeFields validates type as the event name', () => {
    expect(encodeFields({ type: 'message', data: 'x' })).toBe('event: message\ndata: x\n\n');
    expect(() => encodeFields({ type: 'a\nb', data: 'x' })).toThrow(SseFieldError);
  });

  it('encodeFields rejects a non-string comment', () => {
    expect(() => encodeFields({ comment: 1 })).toThrow(SseFieldError);
  });

  it('jsonSerializer is JSON.stringify', () => {
    expect(jsonSerializer({ a: [1] })).toBe('{"a":[1]}');
  });
});

describe('properties (round trip through eventsource-parser)', () => {
  // Every kind of code point, with line breaks, separators, NUL, BOM and astral characters well represented.
  const special = fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\u2028', '\u2029', '\0', '\ufeff', '😀', ' ', ':', 'data: ', '\u0085');
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.oneof(special, fc.string({ unit: 'grapheme', maxLength: 1 })) }),
  );
  const validEvent = fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', maxLength: 1 }), special) }).filter((s) => !/[\r\n]/.test(s));
  const validId = fc.oneof(
    validEvent.filter((s) => !s.includes('\0')),
    fc.nat(),
  );

  it('a string frame ends with one blank line, has no CR and parses back to the same data', () => {
    fc.assert(
      fc.property(text, (value) => {
        const out = frame(value);
        expect(out.endsWith('\n\n')).toBe(true);
        expect(out.indexOf('\n\n')).toBe(out.length - 2);
        expect(out).not.toContain('\r');
        const parsed = parse(out);
        expect(parsed.errors).toEqual([]);
        expect(parsed.events).toEqual([{ id: undefined, event: undefined, data: normalizeNewlines(value) }]);
      }),
      { numRuns: 500 },
    );
  });

  it('an envelope parses back to the same data, event and id', () => {
    fc.assert(
      fc.property(text, fc.option(validEvent, { nil: undefined }), fc.option(validId, { nil: undefined }), (data, event, id) => {
        const out = frame({ data, event, id });
        expect(out.endsWith('\n\n')).toBe(true);
        expect(out.indexOf('\n\n')).toBe(out.length - 2);
        expect(out).not.toContain('\r');
        const parsed = parse(out);
        expect(parsed.errors).toEqual([]);
        expect(parsed.events).toEqual([
          {
            data: normalizeNewlines(data),
            // eventsource-parser reports an empty event name as no name (a browser says "message").
            event: event === '' ? undefined : event,
            id: id === undefined ? undefined : String(id),
          },
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it('an SseEvent with a comment parses back to the same data, event, id, retry and comment lines', () => {
    fc.assert(
      fc.property(text, validEvent, validId, fc.nat(), text, (data, event, id, retry, comment) => {
        const out = frame(new SseEvent({ data, event, id, retry, comment }));
        expect(out.endsWith('\n\n')).toBe(true);
        expect(out.indexOf('\n\n')).toBe(out.length - 2);
        expect(out).not.toContain('\r');
        const parsed = parse(out);
        expect(parsed.errors).toEqual([]);
        expect(parsed.retries).toEqual([retry]);
        expect(parsed.comments).toEqual(normalizeNewlines(comment).split('\n'));
        expect(parsed.events).toEqual([{ data: normalizeNewlines(data), event: event === '' ? undefined : event, id: String(id) }]);
      }),
      { numRuns: 300 },
    );
  });

  it('a run of frames fed in arbitrary chunks parses to the same events in order', () => {
    const value = fc.oneof(
      text,
      fc.integer(),
      fc.boolean(),
      fc.record({ data: text, event: validEvent }),
      fc.record({ data: text, id: validId }),
      fc.dictionary(
        fc.string().map((k) => `k${k}`),
        fc.string(),
        { maxKeys: 3 },
      ),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
        const stream = values.map((v) => frame(v)).join('');
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const point of points) {
          chunks.push(stream.slice(from, point));
          from = point;
        }
        chunks.push(stream.slice(from));
        const parsed = parse(...chunks.filter((c) => c !== ''));
        expect(parsed.events).toHaveLength(values.length);
        parsed.events.forEach((event, i) => {
          const v = values[i];
          const expected =
            typeof v === 'string'
              ? normalizeNewlines(v)
              : typeof v === 'object' && 'data' in v && Object.keys(v).every((k) => k === 'data' || k === 'event' || k === 'id')
                ? normalizeNewlines(v.data as string)
                : typeof v === 'object'
                  ? JSON.stringify(v)
                  : String(v);
          expect(event.data).toBe(expected);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects any id or event containing a line break, and any id containing NUL', () => {
    const withBreak = fc.tuple(fc.string(), fc.constantFrom('\r', '\n', '\r\n'), fc.string()).map(([a, b, c]) => a + b + c);
    const withNul = fc.tuple(fc.string(), fc.string()).map(([a, c]) => `${a}\0${c}`);
    fc.assert(
      fc.property(withBreak, withNul, (bad, nul) => {
        expect(() => encodeValue({ data: 'x', event: bad })).toThrow(SseFieldError);
        expect(() => encodeValue({ data: 'x', id: bad })).toThrow(SseFieldError);
        expect(() => encodeValue({ data: 'x', id: nul })).toThrow(SseFieldError);
      }),
    );
  });

  it('accepts exactly the non-negative safe integers as retry', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeInteger()), (retry) => {
        const valid = Number.isSafeInteger(retry) && retry >= 0;
        if (valid) expect(frame({ data: 'x', retry })).toBe(`retry: ${String(retry)}\ndata: x\n\n`);
        else expect(() => encodeValue({ data: 'x', retry })).toThrow(SseFieldError);
      }),
    );
  });
});
