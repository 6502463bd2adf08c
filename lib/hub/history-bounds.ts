/** The history bounds every store takes (in memory, Redis), checked once with the defaults filled in. Pure. */
import { SseOptionsError } from '../errors.js';
import type { SseHistoryOptions } from './sse-hub-options.js';

/** Events kept per channel when `history.maxEvents` is not set. */
export const DEFAULT_HISTORY_MAX_EVENTS = 1000;
/** Channels kept when `history.maxChannels` is not set; past it the least recently published to is forgotten. */
export const DEFAULT_HISTORY_MAX_CHANNELS = 10_000;
/** Bytes kept when `history.maxBytes` is not set (64 MiB); past it the oldest events of the least recently published channels go. */
export const DEFAULT_HISTORY_MAX_BYTES = 64 * 1024 * 1024;
/** A channel without a new event for this long is forgotten (30 minutes), when `history.idleChannelMs` is not set. */
export const DEFAULT_IDLE_CHANNEL_MS = 30 * 60 * 1000;

export interface HistoryBounds {
  readonly maxEvents: number;
  readonly maxAgeMs: number | undefined;
  readonly maxChannels: number;
  readonly maxBytes: number;
  readonly idleChannelMs: number;
}

function checkBound(name: string, value: unknown, allowZero: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value >= (allowZero ? 0 : 1)) || (!Number.isSafeInteger(value) && value !== Infinity)) {
    throw new SseOptionsError(
      `history.${name} is ${String(value)}; expected ${allowZero ? 'a non-negative' : 'a positive'} integer (or Infinity).`,
    );
  }
}

/** `false` keeps nothing (every resume then reports a gap). */
export function checkHistoryOptions(history: SseHistoryOptions | false): HistoryBounds {
  const options = history === false ? { maxEvents: 0 } : history;
  if (options === null || typeof options !== 'object') {
    throw new SseOptionsError(`history is ${String(options)}; expected an object of bounds, or false to keep none.`);
  }
  const { maxEvents = DEFAULT_HISTORY_MAX_EVENTS, maxAgeMs, maxChannels, maxBytes, idleChannelMs } = options;
  checkBound('maxEvents', maxEvents, true);
  checkBound('maxChannels', maxChannels, false);
  checkBound('maxBytes', maxBytes, false);
  checkBound('idleChannelMs', idleChannelMs, false);
  if (maxAgeMs !== undefined && (typeof maxAgeMs !== 'number' || !(maxAgeMs > 0))) {
    throw new SseOptionsError(`history.maxAgeMs is ${String(maxAgeMs)}; expected a positive number of ms, or leave it out.`);
  }
  return {
    maxEvents,
    maxAgeMs,
    maxChannels: maxChannels ?? DEFAULT_HISTORY_MAX_CHANNELS,
    maxBytes: maxBytes ?? DEFAULT_HISTORY_MAX_BYTES,
    idleChannelMs: idleChannelMs ?? DEFAULT_IDLE_CHANNEL_MS,
  };
}
