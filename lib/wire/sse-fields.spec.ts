import { SseError, SseFieldError } from '../errors.js';
import { assertValidComment, assertValidEvent, assertValidFields, assertValidId, assertValidRetry } from './sse-fields.js';

function fieldError(fn: () => void): SseFieldError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SseFieldError) return err;
    throw err;
  }
  throw new Error('expected an SseFieldError');
}

describe('assertValidEvent', () => {
  it.each(['progress', '', ' spaced ', 'ünïcödé 😀', 'a\0b', 'a\u2028b', 'data: x'])('accepts %p', (event) => {
    expect(() => assertValidEvent(event)).not.toThrow();
  });

  it.each(['a\nb', 'a\rb', '\r\n', 'end\n'])('rejects %p', (event) => {
    const err = fieldError(() => assertValidEvent(event));
    expect(err.field).toBe('event');
    expect(err.value).toBe(event);
    expect(err.message).toMatch(/CR or LF/);
  });

  it.each([1, null, {}, Symbol('e')])('rejects the non-string %p', (event) => {
    expect(fieldError(() => assertValidEvent(event)).message).toMatch(/must be a string/);
  });
});

describe('assertValidId', () => {
  it.each(['1', '', 'abc-ü', 0, 42, -1, 1.5])('accepts %p', (id) => {
    expect(() => assertValidId(id)).not.toThrow();
  });

  it.each(['a\nb', 'a\rb', 'a\0b', '\0'])('rejects %p', (id) => {
    expect(fieldError(() => assertValidId(id)).field).toBe('id');
  });

  it('says why NUL is rejected', () => {
    expect(fieldError(() => assertValidId('a\0')).message).toMatch(/NUL/);
  });

  it.each([NaN, Infinity, -Infinity])('rejects the non-finite number %p', (id) => {
    expect(fieldError(() => assertValidId(id)).message).toMatch(/finite/);
  });

  it.each([true, null, {}, [], 1n])('rejects %p', (id) => {
    expect(fieldError(() => assertValidId(id)).message).toMatch(/string or a number/);
  });
});

describe('assertValidRetry', () => {
  it.each([0, 1, 1000, Number.MAX_SAFE_INTEGER])('accepts %p', (retry) => {
    expect(() => assertValidRetry(retry)).not.toThrow();
  });

  it.each([-1, 0.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, '100', 100n, null])('rejects %p', (retry) => {
    const err = fieldError(() => assertValidRetry(retry));
    expect(err.field).toBe('retry');
    expect(err.message).toMatch(/non-negative integer/);
  });
});

describe('assertValidComment', () => {
  it('accepts any string, line breaks included (they are split when encoded)', () => {
    expect(() => assertValidComment('a\nb')).not.toThrow();
    expect(() => assertValidComment('')).not.toThrow();
  });

  it('rejects non-strings', () => {
    expect(fieldError(() => assertValidComment(3)).field).toBe('comment');
  });
});

describe('assertValidFields', () => {
  it('accepts an empty set of fields and undefined values', () => {
    expect(() => assertValidFields({})).not.toThrow();
    expect(() => assertValidFields({ event: undefined, id: undefined, retry: undefined, comment: undefined })).not.toThrow();
  });

  it('validates type like event', () => {
    expect(fieldError(() => assertValidFields({ type: 'a\nb' })).field).toBe('event');
  });

  it('reports each field by name', () => {
    expect(fieldError(() => assertValidFields({ id: 'x\n' })).field).toBe('id');
    expect(fieldError(() => assertValidFields({ retry: -1 })).field).toBe('retry');
    expect(fieldError(() => assertValidFields({ comment: {} })).field).toBe('comment');
  });

  it('does not look at data', () => {
    expect(() => assertValidFields({ data: Symbol('x') })).not.toThrow();
  });
});

describe('SseFieldError', () => {
  it('is an SseError with a name and a preview of the value', () => {
    const err = fieldError(() => assertValidId('line\nbreak'));
    expect(err).toBeInstanceOf(SseError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SseFieldError');
    expect(err.message).toContain('Invalid SSE "id" value "line\\nbreak"');
  });

  it('shortens long values in the message', () => {
    const err = fieldError(() => assertValidEvent(`${'x'.repeat(500)}\n`));
    expect(err.message.length).toBeLessThan(300);
    expect(err.message).toContain('...');
  });
});
