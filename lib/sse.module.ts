import { Global, Module, type DynamicModule, type OnModuleInit, type Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { SseOptionsError } from './errors.js';
import { validateStreamOptions, type SseModuleAsyncOptions, type SseModuleOptions } from './sse-module-options.js';
import { SSE_MODULE_OPTIONS } from './sse.constants.js';
import { SseHub } from './hub/sse-hub.js';
import { SseInterceptor } from './sse.interceptor.js';
import { SseStreamRegistry } from './stream/sse-stream-registry.js';

const sharedProviders: Provider[] = [SseStreamRegistry, SseInterceptor, SseHub];
const sharedExports = [SSE_MODULE_OPTIONS, SseStreamRegistry, SseInterceptor, SseHub];

/**
 * Server-Sent Events for the whole app (a global module): defaults for every `@Sse()` route,
 * graceful shutdown of open streams and the broadcast hub.
 *
 * @example
 * @Module({ imports: [SseModule.forRoot({ heartbeat: 15_000, retry: 2_000 })] })
 * export class AppModule {}
 */
@Global()
@Module({})
export class SseModule implements OnModuleInit {
  constructor(private readonly modules: ModulesContainer) {}

  /** One app has one hub: a second forRoot() would make a second SseHub that misses the first's subscribers. */
  onModuleInit(): void {
    const mine = [...this.modules.values()].filter((module) => module.metatype === SseModule);
    if (mine.length < 2) return;
    const importers = [...this.modules.values()]
      .filter((module) => module.metatype !== SseModule && [...module.imports].some((imported) => mine.includes(imported)))
      .map((module) => module.metatype.name);
    throw new SseOptionsError(
      `SseModule.forRoot() is imported ${mine.length} times in this app (by ${importers.join(', ') || 'several modules'}): each makes its own ` +
        'SseHub, and what one publishes never reaches the subscribers of another. Import SseModule.forRoot() once, in the root ' +
        'module: it is global, so every module can inject SseHub.',
    );
  }

  /** Registers the module with static options (all optional). */
  static forRoot(options: SseModuleOptions = {}): DynamicModule {
    validateStreamOptions('SseModule.forRoot()', options);
    return {
      module: SseModule,
      global: true,
      providers: [{ provide: SSE_MODULE_OPTIONS, useValue: options }, ...sharedProviders],
      exports: sharedExports,
    };
  }

  /**
   * Registers the module with options from a factory (e.g. `ConfigService`).
   * @example SseModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c: ConfigService) => ({ heartbeat: c.get('SSE_HEARTBEAT') }) })
   */
  static forRootAsync(options: SseModuleAsyncOptions): DynamicModule {
    const factory = options.useFactory as (...args: unknown[]) => SseModuleOptions | Promise<SseModuleOptions>;
    return {
      module: SseModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: SSE_MODULE_OPTIONS,
          useFactory: async (...args: unknown[]) => {
            const resolved = (await factory(...args)) ?? {};
            validateStreamOptions('SseModule.forRootAsync()', resolved);
            return resolved;
          },
          inject: (options.inject ?? []) as never[],
        },
        ...sharedProviders,
      ],
      exports: sharedExports,
    };
  }
}
