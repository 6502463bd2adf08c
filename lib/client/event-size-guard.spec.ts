import fc from 'fast-check';
import { EventSizeGuard } from './event-size-guard.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('EventSizeGuard', () => {
  it('lets events within the limit through, however they are chunked, and starts over after each blank line', () => {
    const guard = new EventSizeGuard(20);
    for (let i = 0; i < 100; i++) expect(guard.push(bytes('data: 0123456789\n\n'))).toBeUndefined();
    for (const piece of ['data: 01', '23456789\r', '\n\r\n', 'data: x\r\r']) expect(guard.push(bytes(piece))).toBeUndefined();
  });

  it('stops a line without an end as soon as it passes the limit', () => {
    const guard = new EventSizeGuard(1024);
    let over: { size: number; within: number } | undefined;
    let fed = 0;
    while (over === undefined) {
      over = guard.push(bytes('x'.repeat(100)));
      fed += 100;
    }
    expect(fed).toBe(1100);
    expect(over).toEqual({ size: 1100, within: 0 });
  });

  it('says up to where a chunk was within the limit: the whole events before the one that passed it', () => {
    const chunk = bytes('data: ok\n\ndata: 0123456789\ndata: 0123456789\n');
    expect(new EventSizeGuard(20).push(chunk)).toEqual({ size: 34, within: 27 });
  });

  it('counts an event made of many small lines (data lines, comments) until its blank line', () => {
    const guard = new EventSizeGuard(100);
    let over: { size: number; within: number } | undefined;
    for (let i = 0; i < 20 && over === undefined; i++) over = guard.push(bytes(i % 2 ? ': c\n' : 'data: 12345\n'));
    expect(over!.size).toBeGreaterThan(100);
  });

  it('counts bytes, not characters: a CRLF split across chunks is one line end (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (text, cut) => {
        const line = text.replace(/[\r\n]/g, '');
        const encoded = bytes(`data: ${line}\r\n\r\n`);
        const limit = encoded.length;
        const guard = new EventSizeGuard(limit);
        const at = Math.min(cut, encoded.length);
        expect(guard.push(encoded.subarray(0, at))).toBeUndefined();
        expect(guard.push(encoded.subarray(at))).toBeUndefined();
        expect(new EventSizeGuard(bytes(`data: ${line}`).length - 1).push(encoded)).toBeDefined();
      }),
    );
  });
});
