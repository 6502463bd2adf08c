/**
 * What a client may see of an error, and what is worth a log line. Mirrors Nest's own exception
 * filter: an HttpException is the client's business (its message may be sent; a 4xx is not
 * logged as an error), anything else is ours (logged with its stack, never sent).
 */
import { HttpException, IntrinsicException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

export const GENERIC_ERROR_MESSAGE = 'Internal server error';

/** The `{ status, message }` of the final `event: error` frame. */
export function publicError(err: unknown): { status: number; message: string } {
  if (err instanceof HttpException) {
    const status = err.getStatus();
    // `new BadRequestException(someError)` carries the inner error's message: not for the client.
    const message = err.getResponse() instanceof Error ? (STATUS_CODES[status] ?? 'Error') : err.message;
    return { status, message };
  }
  return { status: 500, message: GENERIC_ERROR_MESSAGE };
}

export type ErrorLogLevel = 'error' | 'verbose' | 'none';

/** How loud an error that ended an open stream is. */
export function errorLogLevel(err: unknown): ErrorLogLevel {
  if (err instanceof IntrinsicException) return 'none';
  if (err instanceof HttpException && err.getStatus() < 500) return 'verbose';
  return 'error';
}

/**
 * True for the rejection of something the handler awaited on `cleanUp.signal` when we aborted
 * it: `AbortError` (timers/promises, fetch without a reason, AbortSignal.timeout aside), or the
 * abort reason itself (fetch with a reason).
 */
export function isAbortOf(err: unknown, reason: unknown): boolean {
  if (err === reason && reason !== undefined) return true;
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
