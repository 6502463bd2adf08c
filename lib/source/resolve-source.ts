/**
 * What a handler returned -> how the stream reads it. Pure: no Nest, no sockets.
 * Pull sources (AsyncIterable, Iterable, Readable, ReadableStream) are read only while the
 * socket accepts data; push sources (Observable) deliver at their own pace.
 */
import { isObservable, type Observable } from 'rxjs';

export type ResolvedSource =
  | { kind: 'pull'; iterator: AsyncIterator<unknown> | Iterator<unknown> }
  | { kind: 'push'; observable: Observable<unknown> }
  | { kind: 'none' };

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isIterable(value: object): value is Iterable<unknown> {
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function isByteChunk(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * Byte streams (a Node `Readable` without an encoding, a `ReadableStream<Uint8Array>`) yield
 * chunks that may split a UTF-8 character; a streaming decoder keeps such characters whole.
 */
function decodeByteChunks(iterator: AsyncIterator<unknown>): AsyncIterator<unknown> {
  const decoder = new TextDecoder('utf-8');
  return {
    async next() {
      for (;;) {
        const result = await iterator.next();
        if (result.done) {
          const tail = decoder.decode();
          return tail === '' ? result : { done: false, value: tail };
        }
        if (!isByteChunk(result.value)) return result;
        const text = decoder.decode(result.value, { stream: true });
        if (text !== '') return { done: false, value: text };
      }
    },
    return(value?: unknown) {
      return iterator.return ? iterator.return(value) : Promise.resolve({ done: true, value });
    },
  };
}

/**
 * Classifies a (settled) handler result. Returns `undefined` when it is not a source at all,
 * so the caller can raise an error that names the route.
 */
export function resolveSource(value: unknown): ResolvedSource | undefined {
  if (value === null) return { kind: 'none' };
  if (typeof value !== 'object' && typeof value !== 'function') return undefined;
  const candidate = value as object;
  // A String object is iterable (by code point) but is no more a stream than a string is.
  if (candidate instanceof String) return undefined;
  if (isObservable(candidate)) return { kind: 'push', observable: candidate };
  if (isAsyncIterable(candidate)) {
    const iterator = candidate[Symbol.asyncIterator]();
    // Node Readable and web ReadableStream are byte streams unless in object mode.
    const byteStream =
      (typeof (candidate as { pipe?: unknown }).pipe === 'function' &&
        (candidate as { readableObjectMode?: boolean }).readableObjectMode !== true) ||
      (typeof ReadableStream !== 'undefined' && candidate instanceof ReadableStream);
    return { kind: 'pull', iterator: byteStream ? decodeByteChunks(iterator) : iterator };
  }
  if (isIterable(candidate)) return { kind: 'pull', iterator: candidate[Symbol.iterator]() };
  return undefined;
}
