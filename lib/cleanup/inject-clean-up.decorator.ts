import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { SseOptionsError } from '../errors.js';
import { CleanUp } from './clean-up.js';
import { findCleanUp } from './stream-context.js';

/**
 * Injects the stream's {@link CleanUp} into an `@Sse()` handler parameter. Not needed when the
 * parameter is typed `CleanUp` and `emitDecoratorMetadata` is on; use it when it is off.
 *
 * @example @Sse('feed') feed(@InjectCleanUp() cleanUp: CleanUp) { ... }
 */
export const InjectCleanUp: () => ParameterDecorator = createParamDecorator((_data: unknown, context: ExecutionContext): CleanUp => {
  const found = findCleanUp(context.switchToHttp().getResponse<object>());
  if (!found) {
    throw new Error(
      `CleanUp can only be injected into an @Sse() handler from 'nest-event-stream' (${context.getClass().name}.${context.getHandler().name}).`,
    );
  }
  return found;
});

const stubs = new Map<string, object>();

/** Stands in for a parameter whose type is unknown: any use of it throws `message`. */
function failingStub(message: string): object {
  let stub = stubs.get(message);
  if (!stub) {
    stub = new Proxy(Object.freeze({}), {
      get(_target, property) {
        // Awaiting it or printing it must not throw; using it as a CleanUp must.
        if (typeof property === 'symbol' || property === 'then' || property === 'toJSON') return undefined;
        throw new SseOptionsError(message);
      },
    });
    stubs.set(message, stub);
  }
  return stub;
}

/**
 * Given by `@Sse()` to an undecorated parameter when `emitDecoratorMetadata` is off: Nest would
 * pass `undefined`, and `cleanUp.add()` would fail with "Cannot read properties of undefined".
 * This says what to do instead.
 * @internal
 */
export const UntypedParameter: (message: string) => ParameterDecorator = createParamDecorator((message: string) => failingStub(message));
