import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { CleanUp } from './clean-up.js';
import { findStreamContext } from './stream-context.js';

/**
 * Injects the stream's {@link CleanUp} into an `@Sse()` handler parameter. Not needed when the
 * parameter is typed `CleanUp` and `emitDecoratorMetadata` is on; use it when it is off.
 *
 * @example @Sse('feed') feed(@InjectCleanUp() cleanUp: CleanUp) { ... }
 */
export const InjectCleanUp: () => ParameterDecorator = createParamDecorator((_data: unknown, context: ExecutionContext): CleanUp => {
  const found = findStreamContext(context.switchToHttp().getResponse<object>());
  if (!found) {
    throw new Error(
      `CleanUp can only be injected into an @Sse() handler from 'nest-event-stream' (${context.getClass().name}.${context.getHandler().name}).`,
    );
  }
  return found.cleanUp;
});
