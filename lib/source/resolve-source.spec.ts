import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { BehaviorSubject, Observable, of, Subject } from 'rxjs';
import { resolveSource, type ResolvedSource } from './resolve-source.js';

type PullSource = Extract<ResolvedSource, { kind: 'pull' }>;

function expectPull(source: ResolvedSource | undefined): PullSource['iterator'] {
  expect(source?.kind).toBe('pull');
  return (source as PullSource).iterator;
}

async function drain(iterator: PullSource['iterator']): Promise<unknown[]> {
  const values: unknown[] = [];
  for (;;) {
    const result = await iterator.next();
    if (result.done) return values;
    values.push(result.value);
  }
}

/** A web ReadableStream that yields exactly these chunks, one per pull. */
function webStream<T>(chunks: T[], onCancel?: (reason: unknown) => void): ReadableStream<T> {
  let i = 0;
  return new ReadableStream<T>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
    cancel: onCancel,
  });
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('resolveSource', () => {
  describe('none', () => {
    it('turns null into "none" (204)', () => {
      expect(resolveSource(null)).toEqual({ kind: 'none' });
    });

    it('turns a settled Promise of null into "none"', async () => {
      expect(resolveSource(await Promise.resolve(null))).toEqual({ kind: 'none' });
    });
  });

  describe('not a source', () => {
    it.each([
      ['undefined', undefined],
      ['a string', 'hello'],
      ['an empty string', ''],
      ['a number', 42],
      ['a boolean', true],
      ['a bigint', 1n],
      ['a symbol', Symbol('s')],
      ['a plain object', { data: 'x' }],
      ['a function', () => [1, 2]],
      ['a Date', new Date()],
    ])('returns undefined for %s', (_name, value) => {
      expect(resolveSource(value)).toBeUndefined();
    });

    it('does not iterate a string (even though strings are iterable)', () => {
      expect(resolveSource('abc')).toBeUndefined();
    });

    it('does not iterate a String object either', () => {
      expect(resolveSource(new String('abc'))).toBeUndefined();
    });

    it('returns undefined for an unsettled Promise (the caller settles it first)', () => {
      const promise = Promise.resolve([1]);
      expect(resolveSource(promise)).toBeUndefined();
    });
  });

  describe('push', () => {
    it('treats an Observable as a push source, kept as the same instance', () => {
      const observable = of(1, 2);
      expect(resolveSource(observable)).toEqual({ kind: 'push', observable });
      expect((resolveSource(observable) as { observable: unknown }).observable).toBe(observable);
    });

    it('treats Subjects and custom Observables as push sources', () => {
      expect(resolveSource(new Subject())?.kind).toBe('push');
      expect(resolveSource(new BehaviorSubject(1))?.kind).toBe('push');
      expect(resolveSource(new Observable(() => undefined))?.kind).toBe('push');
    });

    it('does not subscribe while resolving', () => {
      let subscribed = 0;
      const observable = new Observable(() => {
        subscribed++;
      });
      resolveSource(observable);
      expect(subscribed).toBe(0);
    });

    it('resolves a settled Promise of an Observable', async () => {
      expect(resolveSource(await Promise.resolve(of(1)))?.kind).toBe('push');
    });
  });

  describe('async iterables', () => {
    it('pulls an async generator as it is, without starting it', async () => {
      let started = false;
      async function* gen() {
        started = true;
        yield 1;
        yield { a: 2 };
        yield new Uint8Array([104, 105]);
      }
      const iterator = expectPull(resolveSource(gen()));
      expect(started).toBe(false);
      // Byte chunks from a generator are not decoded: only byte streams are.
      expect(await drain(iterator)).toEqual([1, { a: 2 }, new Uint8Array([104, 105])]);
    });

    it('calls the generator return() through the iterator', async () => {
      let finallyRan = false;
      async function* gen() {
        try {
          yield 1;
          yield 2;
        } finally {
          finallyRan = true;
        }
      }
      const iterator = expectPull(resolveSource(gen()));
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      await iterator.return?.();
      expect(finallyRan).toBe(true);
    });

    it('pulls a custom AsyncIterable', async () => {
      const iterable = {
        async *[Symbol.asyncIterator]() {
          yield 'x';
        },
      };
      expect(await drain(expectPull(resolveSource(iterable)))).toEqual(['x']);
    });

    it('resolves a settled Promise of an async generator', async () => {
      async function* gen() {
        yield 'p';
      }
      expect(await drain(expectPull(resolveSource(await Promise.resolve(gen()))))).toEqual(['p']);
    });
  });

  describe('Node Readable', () => {
    it('passes object-mode values through as they are', async () => {
      const values = [{ a: 1 }, 'text', 3, Buffer.from('raw')];
      const readable = Readable.from(values);
      expect(readable.readableObjectMode).toBe(true);
      expect(await drain(expectPull(resolveSource(readable)))).toEqual(values);
    });

    it('decodes a byte-mode stream as UTF-8 text', async () => {
      const readable = Readable.from([Buffer.from('héllo '), Buffer.from('wörld')], { objectMode: false });
      const text = (await drain(expectPull(resolveSource(readable)))).join('');
      expect(text).toBe('héllo wörld');
    });

    it('keeps a multi-byte character split across chunks whole', async () => {
      const bytes = Buffer.from('a€b😀c', 'utf8');
      // Push one byte at a time, each in its own tick, so chunks are not coalesced.
      const readable = new Readable({ read() {} });
      const values = drain(expectPull(resolveSource(readable)));
      for (const byte of bytes) {
        readable.push(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      readable.push(null);
      const chunks = await values;
      expect(chunks.every((chunk) => typeof chunk === 'string')).toBe(true);
      expect(chunks.join('')).toBe('a€b😀c');
      // No chunk is half a character (no replacement characters, no lone surrogates).
      for (const chunk of chunks as string[]) {
        expect(chunk).not.toContain('\ufffd');
        expect(Buffer.from(chunk, 'utf8').toString('utf8')).toBe(chunk);
      }
    });

    it('passes strings through when the stream has an encoding', async () => {
      const readable = Readable.from([Buffer.from('abc')], { objectMode: false });
      readable.setEncoding('utf8');
      expect((await drain(expectPull(resolveSource(readable)))).join('')).toBe('abc');
    });

    it('destroys the stream when the iterator is returned', async () => {
      const readable = new Readable({ read() {} });
      readable.push(Buffer.from('x'));
      const iterator = expectPull(resolveSource(readable));
      expect(await iterator.next()).toEqual({ done: false, value: 'x' });
      await iterator.return?.();
      expect(readable.destroyed).toBe(true);
    });
  });

  describe('web ReadableStream', () => {
    it('decodes byte chunks, keeping characters split across chunks whole', async () => {
      const bytes = utf8('x€😀y');
      // x | €(3 bytes) | 😀(4 bytes) | y, cut inside both multi-byte characters.
      const chunks = [bytes.slice(0, 2), bytes.slice(2, 3), bytes.slice(3, 6), bytes.slice(6, 7), bytes.slice(7)];
      const values = await drain(expectPull(resolveSource(webStream(chunks))));
      expect(values.join('')).toBe('x€😀y');
      expect(values).toEqual(['x', '€', '😀y']);
    });

    it('skips chunks that hold only part of a character', async () => {
      const bytes = utf8('€');
      const values = await drain(expectPull(resolveSource(webStream([bytes.slice(0, 1), bytes.slice(1, 2), bytes.slice(2)]))));
      expect(values).toEqual(['€']);
    });

    it('flushes an incomplete trailing sequence as a replacement character', async () => {
      const values = await drain(expectPull(resolveSource(webStream([utf8('ok'), utf8('€').slice(0, 2)]))));
      expect(values).toEqual(['ok', '\ufffd']);
    });

    it('decodes invalid bytes as replacement characters instead of failing', async () => {
      const values = await drain(expectPull(resolveSource(webStream([new Uint8Array([0x61, 0xff, 0x62])]))));
      expect(values).toEqual(['a\ufffdb']);
    });

    it('passes non-byte chunks through', async () => {
      const values = await drain(expectPull(resolveSource(webStream<unknown>(['text', { a: 1 }, 2]))));
      expect(values).toEqual(['text', { a: 1 }, 2]);
    });

    it('accepts the node:stream/web ReadableStream', async () => {
      const stream = new NodeReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(utf8('hi'));
          controller.close();
        },
      });
      expect(await drain(expectPull(resolveSource(stream)))).toEqual(['hi']);
    });

    it('cancels the stream when the iterator is returned', async () => {
      const cancelled: unknown[] = [];
      const iterator = expectPull(resolveSource(webStream([utf8('a'), utf8('b')], (reason) => cancelled.push(reason ?? 'cancelled'))));
      expect(await iterator.next()).toEqual({ done: false, value: 'a' });
      expect(await iterator.return?.()).toMatchObject({ done: true });
      expect(cancelled).toHaveLength(1);
    });

    it('resolves a settled Promise of a ReadableStream', async () => {
      expect(await drain(expectPull(resolveSource(await Promise.resolve(webStream([utf8('p')])))))).toEqual(['p']);
    });
  });

  describe('sync iterables', () => {
    it('pulls an array', async () => {
      const iterator = expectPull(resolveSource([1, 'two', { three: 3 }]));
      expect(await drain(iterator)).toEqual([1, 'two', { three: 3 }]);
    });

    it('pulls an empty array', async () => {
      expect(await drain(expectPull(resolveSource([])))).toEqual([]);
    });

    it('pulls a Set and a Map', async () => {
      expect(await drain(expectPull(resolveSource(new Set(['a', 'b']))))).toEqual(['a', 'b']);
      expect(await drain(expectPull(resolveSource(new Map([['k', 'v']]))))).toEqual([['k', 'v']]);
    });

    it('pulls a sync generator lazily and can return() it', async () => {
      const produced: number[] = [];
      let finallyRan = false;
      function* gen() {
        try {
          for (let i = 0; ; i++) {
            produced.push(i);
            yield i;
          }
        } finally {
          finallyRan = true;
        }
      }
      const iterator = expectPull(resolveSource(gen()));
      expect(produced).toEqual([]);
      expect(await iterator.next()).toEqual({ done: false, value: 0 });
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      iterator.return?.();
      expect(finallyRan).toBe(true);
      expect(produced).toEqual([0, 1]);
    });

    it('does not copy an array: the iterator reads it as it is', async () => {
      const values = [1];
      const iterator = expectPull(resolveSource(values));
      values.push(2);
      expect(await drain(iterator)).toEqual([1, 2]);
    });

    it('resolves a settled Promise of an array', async () => {
      expect(await drain(expectPull(resolveSource(await Promise.resolve(['p']))))).toEqual(['p']);
    });
  });
});
