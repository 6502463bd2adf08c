/** True for a promise or any thenable (results and store/transport answers may be either). Pure. */
export function isPromise<T>(value: T | PromiseLike<T> | undefined): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
