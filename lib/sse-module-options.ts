import type { ModuleMetadata, RequestMethod } from '@nestjs/common';
import { SseOptionsError } from './errors.js';
import type { SseHubOptions } from './hub/sse-hub-options.js';
import type { SseEventInit } from './wire/sse-event.js';
import { jsonSerializer, type SseSerializer } from './wire/encode-frame.js';

/** Per-key connection limit (e.g. per user or per IP); past `max`, new streams get 429. */
export interface SseConnectionsPerKey {
  /** The key of a request (user id, IP...). `undefined` means "not limited". */
  key: (request: unknown) => string | undefined | null;
  /** Open streams allowed per key. */
  max: number;
}

/** Options that a route can override with `@Sse(path, options)`. */
export interface SseStreamOptions {
  /** Heartbeat interval in ms, or `false` for none. Default 15000. */
  heartbeat?: number | false;
  /** Send heartbeats as this named event (with empty data) instead of a comment. Default: comment. */
  heartbeatEvent?: string;
  /** Reconnection delay (ms) sent to the client once at connect. Default: not sent. */
  retry?: number;
  /**
   * Bytes that may wait for a client that does not read a push source (an Observable, live hub
   * events); counted before each write, so one larger event is still delivered. Past it the
   * client is dropped (it reconnects with its Last-Event-ID). `Infinity` lifts it. Default 4 MiB.
   */
  maxPendingBytes?: number;
  /**
   * How long (ms) the head waits for an async generator's (any pull source's) first value, so that
   * a throw before its first `yield` (`NotFoundException`) is answered with its real status. A
   * slower first value gets the head when the wait ends. `0` sends the head at once. Default 250.
   */
  headWaitMs?: number;
  /** Turns non-string data into text. Default `JSON.stringify`. */
  serializer?: SseSerializer;
  /** Open streams allowed per key (429 past it). Default: no limit. */
  connectionsPerKey?: SseConnectionsPerKey;
}

/** Options of `SseModule.forRoot()`. */
export interface SseModuleOptions extends SseStreamOptions, SseHubOptions {
  /** Open SSE streams allowed in this process; past it, new streams get 503 with `Retry-After`. Default: no limit. */
  maxConnections?: number;
  /** `Retry-After` (seconds) sent with 503/429 answers. Default 5. */
  retryAfterSeconds?: number;
  /** How long `app.close()` waits for final frames to flush before dropping sockets, in ms. Default 1000. */
  shutdownGracePeriod?: number;
  /** An event written to every open stream when the app shuts down. Default: none. */
  farewell?: SseEventInit | false;
}

/** Options of `@Sse(path, options)`. */
export interface SseRouteOptions extends SseStreamOptions {
  /** HTTP method. Default GET. */
  method?: RequestMethod | 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'ALL';
  /**
   * `@nestjs/common`'s option, accepted so a migrated route keeps compiling and working: Nest
   * counts characters of event data, this library bytes on the socket, so it becomes
   * `maxPendingBytes` one for one (0 or `Infinity` lift the bound, as in Nest; `NaN` is the
   * default). Use `maxPendingBytes` in new code; giving both is an error.
   */
  maxPendingDataLength?: number;
}

/** Options of `SseModule.forRootAsync()`. */
export interface SseModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: unknown[];
  useFactory: (...args: never[]) => SseModuleOptions | Promise<SseModuleOptions>;
}

/** Stream options with defaults applied. */
export interface ResolvedStreamOptions {
  heartbeat: number | false;
  heartbeatEvent: string | undefined;
  retry: number | undefined;
  maxPendingBytes: number;
  serializer: SseSerializer;
  connectionsPerKey: SseConnectionsPerKey | undefined;
  headWaitMs: number;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_HEAD_WAIT_MS = 250;
export const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 1_000;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** The value as it was written: JSON where it shows the value (not NaN as null), never throwing (bigint, cycles). */
function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function fail(where: string, name: string, value: unknown, expected: string): never {
  throw new SseOptionsError(`${where}: option "${name}" is ${show(value)}; expected ${expected}.`);
}

function checkNonNegativeInt(where: string, name: string, value: unknown, allowFalse = false): void {
  if (value === undefined || (allowFalse && value === false)) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(where, name, value, `a non-negative integer${allowFalse ? ' or false' : ''}`);
  }
}

/** Longest delay a Node timer supports; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2_147_483_647;

function checkTimerDelay(where: string, name: string, value: unknown): void {
  if (typeof value === 'number' && value > MAX_TIMER_MS) {
    fail(where, name, value, `at most ${MAX_TIMER_MS} ms (the longest timer Node supports)`);
  }
}

/** Validates options at start-up so mistakes fail loudly with the option's name. */
export function validateStreamOptions(where: string, options: SseRouteOptions & SseModuleOptions): void {
  const nestLimit = options.maxPendingDataLength;
  if (nestLimit !== undefined) {
    if (typeof nestLimit !== 'number' || nestLimit < 0)
      fail(where, 'maxPendingDataLength', nestLimit, 'a non-negative number (better: use maxPendingBytes)');
    if (options.maxPendingBytes !== undefined) {
      fail(where, 'maxPendingDataLength', nestLimit, 'not to be given with maxPendingBytes; keep maxPendingBytes only');
    }
  }
  checkNonNegativeInt(where, 'heartbeat', options.heartbeat, true);
  if (options.heartbeat === 0) fail(where, 'heartbeat', 0, 'a positive number of ms, or false to disable');
  checkNonNegativeInt(where, 'retry', options.retry);
  if (options.maxPendingBytes !== Infinity) checkNonNegativeInt(where, 'maxPendingBytes', options.maxPendingBytes);
  checkNonNegativeInt(where, 'headWaitMs', options.headWaitMs);
  checkTimerDelay(where, 'headWaitMs', options.headWaitMs);
  checkNonNegativeInt(where, 'maxConnections', options.maxConnections);
  checkNonNegativeInt(where, 'shutdownGracePeriod', options.shutdownGracePeriod);
  checkNonNegativeInt(where, 'retryAfterSeconds', options.retryAfterSeconds);
  checkTimerDelay(where, 'heartbeat', options.heartbeat);
  checkTimerDelay(where, 'shutdownGracePeriod', options.shutdownGracePeriod);
  if (options.heartbeatEvent !== undefined && (typeof options.heartbeatEvent !== 'string' || /[\r\n]/.test(options.heartbeatEvent))) {
    fail(where, 'heartbeatEvent', options.heartbeatEvent, 'an event name without CR or LF');
  }
  if (options.serializer !== undefined && typeof options.serializer !== 'function') {
    fail(where, 'serializer', typeof options.serializer, 'a function (value) => string');
  }
  const perKey = options.connectionsPerKey;
  if (perKey !== undefined && (typeof perKey?.key !== 'function' || !Number.isSafeInteger(perKey.max) || perKey.max < 1)) {
    fail(where, 'connectionsPerKey', perKey, '{ key: (request) => string | undefined, max: positive integer }');
  }
}

/** Nest's `maxPendingDataLength` as `maxPendingBytes`: 0 and Infinity lift the bound, NaN is the default. */
function fromNestLimit(limit: number | undefined): number | undefined {
  if (limit === undefined || Number.isNaN(limit)) return undefined;
  return limit === 0 ? Infinity : limit;
}

/** Route options over module options over defaults. */
export function resolveStreamOptions(moduleOptions: SseModuleOptions, route: SseRouteOptions | undefined): ResolvedStreamOptions {
  const pick = <K extends keyof SseStreamOptions>(key: K): SseStreamOptions[K] =>
    route && route[key] !== undefined ? route[key] : moduleOptions[key];
  return {
    heartbeat: pick('heartbeat') ?? DEFAULT_HEARTBEAT_MS,
    heartbeatEvent: pick('heartbeatEvent'),
    retry: pick('retry'),
    maxPendingBytes:
      route?.maxPendingBytes ?? fromNestLimit(route?.maxPendingDataLength) ?? moduleOptions.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
    serializer: pick('serializer') ?? jsonSerializer,
    connectionsPerKey: pick('connectionsPerKey'),
    headWaitMs: pick('headWaitMs') ?? DEFAULT_HEAD_WAIT_MS,
  };
}
