import { SseFieldError } from '../errors.js';

const LINE_BREAK = /[\r\n]/;

/** Envelope fields as they may appear on a yielded plain object (Nest's `MessageEvent` uses `type`). */
export interface EnvelopeFields {
  data?: unknown;
  event?: unknown;
  type?: unknown;
  id?: unknown;
  retry?: unknown;
  comment?: unknown;
}

export function assertValidEvent(event: unknown): asserts event is string {
  if (typeof event !== 'string') {
    throw new SseFieldError('event', event, 'it must be a string.');
  }
  if (LINE_BREAK.test(event)) {
    throw new SseFieldError(
      'event',
      event,
      'it must not contain CR or LF (they would end the field early). Use a plain name such as "progress".',
    );
  }
}

export function assertValidId(id: unknown): asserts id is string | number {
  if (typeof id === 'number') {
    if (!Number.isFinite(id)) throw new SseFieldError('id', id, 'a numeric id must be finite.');
    return;
  }
  if (typeof id !== 'string') {
    throw new SseFieldError('id', id, 'it must be a string or a number.');
  }
  if (LINE_BREAK.test(id)) {
    throw new SseFieldError(
      'id',
      id,
      'it must not contain CR or LF (they would end the field early). Encode the id, e.g. with encodeURIComponent().',
    );
  }
  if (id.includes('\0')) {
    throw new SseFieldError('id', id, 'it must not contain NUL (clients ignore such an id, so resume would break). Encode the id.');
  }
}

export function assertValidRetry(retry: unknown): asserts retry is number {
  if (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0) {
    throw new SseFieldError('retry', retry, 'it must be a non-negative integer number of milliseconds.');
  }
}

export function assertValidComment(comment: unknown): asserts comment is string {
  if (typeof comment !== 'string') {
    throw new SseFieldError('comment', comment, 'it must be a string.');
  }
}

/** Validates every field present; throws {@link SseFieldError} on the first bad one. */
export function assertValidFields(fields: EnvelopeFields): void {
  if (fields.event !== undefined) assertValidEvent(fields.event);
  if (fields.type !== undefined) assertValidEvent(fields.type);
  if (fields.id !== undefined) assertValidId(fields.id);
  if (fields.retry !== undefined) assertValidRetry(fields.retry);
  if (fields.comment !== undefined) assertValidComment(fields.comment);
}
