import fc from 'fast-check';
import { MAX_LAST_EVENT_ID_LENGTH, readLastEventId } from './last-event-id.decorator.js';

/** A header value as Node's HTTP parser hands it over: each byte of the UTF-8 text as one latin1 character. */
const asNodeHeader = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

const withHeader = (value: unknown, query?: unknown) => ({ headers: { 'last-event-id': value }, query });

describe('readLastEventId', () => {
  describe('header', () => {
    it('reads an ASCII header as it is', () => {
      expect(readLastEventId(withHeader('42'))).toBe('42');
      expect(readLastEventId(withHeader('abc-DEF_1:2'))).toBe('abc-DEF_1:2');
    });

    it('decodes the UTF-8 bytes of the header', () => {
      expect(asNodeHeader('é')).toBe('\u00c3\u00a9');
      expect(readLastEventId(withHeader(asNodeHeader('é')))).toBe('é');
      expect(readLastEventId(withHeader(asNodeHeader('id-€-中-😀')))).toBe('id-€-中-😀');
    });

    it('round-trips any well-formed id without CR, LF or NUL', () => {
      const id = fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 100 })
        .filter((s) => !/[\r\n\0]/.test(s) && s.length <= MAX_LAST_EVENT_ID_LENGTH);
      fc.assert(
        fc.property(id, (value) => {
          expect(readLastEventId(withHeader(asNodeHeader(value)))).toBe(value);
        }),
      );
    });

    it('ignores a header that is not valid UTF-8', () => {
      // "é" sent as the single latin1 byte 0xE9.
      expect(readLastEventId(withHeader('\u00e9'))).toBeUndefined();
      expect(readLastEventId(withHeader('ok\u00ff'))).toBeUndefined();
    });

    it('falls back to the query when the header is not valid UTF-8', () => {
      expect(readLastEventId(withHeader('\u00e9', { lastEventId: 'q1' }))).toBe('q1');
    });

    it('keeps a header that was already decoded (characters above U+00FF)', () => {
      expect(readLastEventId(withHeader('€'))).toBe('€');
      // "中" is U+4E2D: re-encoding it as latin1 would have turned it into "-".
      expect(readLastEventId(withHeader('中'))).toBe('中');
      expect(readLastEventId(withHeader('id-😀'))).toBe('id-😀');
    });

    it('prefers the header over the query', () => {
      expect(readLastEventId(withHeader('h', { lastEventId: 'q' }))).toBe('h');
    });

    it('ignores a header that is not a string (e.g. an array)', () => {
      expect(readLastEventId(withHeader(['a', 'b']))).toBeUndefined();
      expect(readLastEventId(withHeader(['a', 'b'], { lastEventId: 'q' }))).toBe('q');
      expect(readLastEventId(withHeader(5))).toBeUndefined();
    });

    it('reads only the lower-case header name (Node lower-cases them)', () => {
      expect(readLastEventId({ headers: { 'Last-Event-ID': '1' } })).toBeUndefined();
    });

    it('keeps spaces inside the value', () => {
      expect(readLastEventId(withHeader(' 1 '))).toBe(' 1 ');
    });
  });

  describe('query', () => {
    it('falls back to the lastEventId query parameter', () => {
      expect(readLastEventId({ headers: {}, query: { lastEventId: '7' } })).toBe('7');
    });

    it('takes the first of repeated query parameters', () => {
      expect(readLastEventId({ headers: {}, query: { lastEventId: ['first', 'second'] } })).toBe('first');
    });

    it('ignores non-string query values', () => {
      expect(readLastEventId({ headers: {}, query: { lastEventId: { nested: '1' } } })).toBeUndefined();
      expect(readLastEventId({ headers: {}, query: { lastEventId: [{ a: 1 }] } })).toBeUndefined();
      expect(readLastEventId({ headers: {}, query: { lastEventId: 7 } })).toBeUndefined();
      expect(readLastEventId({ headers: {}, query: { lastEventId: [] } })).toBeUndefined();
    });

    it('takes query values as they are (frameworks decode them already)', () => {
      expect(readLastEventId({ headers: {}, query: { lastEventId: 'é 中' } })).toBe('é 中');
    });

    it('ignores other query parameters', () => {
      expect(readLastEventId({ headers: {}, query: { lastEventID: '1', 'last-event-id': '2' } })).toBeUndefined();
    });
  });

  describe('missing, empty and over-long values', () => {
    it('is undefined without headers or query', () => {
      expect(readLastEventId({})).toBeUndefined();
      expect(readLastEventId({ headers: {} })).toBeUndefined();
      expect(readLastEventId({ headers: {}, query: null })).toBeUndefined();
      expect(readLastEventId({ query: {} })).toBeUndefined();
    });

    it('is undefined for an empty header or query value', () => {
      expect(readLastEventId(withHeader(''))).toBeUndefined();
      expect(readLastEventId({ headers: {}, query: { lastEventId: '' } })).toBeUndefined();
    });

    it(`accepts exactly ${MAX_LAST_EVENT_ID_LENGTH} characters and ignores more`, () => {
      const max = 'x'.repeat(MAX_LAST_EVENT_ID_LENGTH);
      expect(readLastEventId(withHeader(max))).toBe(max);
      expect(readLastEventId(withHeader(`${max}x`))).toBeUndefined();
      expect(readLastEventId({ headers: {}, query: { lastEventId: max } })).toBe(max);
      expect(readLastEventId({ headers: {}, query: { lastEventId: `${max}x` } })).toBeUndefined();
    });

    it('measures the decoded length, not the byte length', () => {
      // 1000 "é" are 2000 bytes on the wire but 1000 characters.
      const id = 'é'.repeat(1000);
      expect(readLastEventId(withHeader(asNodeHeader(id)))).toBe(id);
    });

    it('does not fall back to the query when the header is over-long', () => {
      expect(readLastEventId(withHeader('x'.repeat(MAX_LAST_EVENT_ID_LENGTH + 1), { lastEventId: 'q' }))).toBeUndefined();
    });
  });
});
