/**
 * Who listens on which channel in this process, and delivery of one event to each of them, in
 * id order always: an event published while another is being delivered (a `leave` announced by a
 * subscriber that overflowed) waits until that delivery is done.
 */
import { Logger } from '@nestjs/common';
import { EncodedFrame, TRUSTED_FRAME } from '../wire/encoded-frame.js';
import type { HubEvent, MaybePromise } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';
import { isPromise } from '../source/is-promise.js';
import { parseHubId, type HubIdPoint } from './hub-id.js';

/** A subscription as the registry sees it (an object, not a closure per subscriber). */
export interface HubReceiver {
  /** The event, its frame and its parsed id (none for presence), shared by every subscriber it reaches. */
  deliver(event: HubEvent, frame: EncodedFrame, point: HubIdPoint | undefined): void;
}

const logger = new Logger('SseHub');

/** The frame a subscriber writes: one per event and delivery, so its HTTP chunk is built once and not kept with the history. */
export function frameOf(event: HubEvent): EncodedFrame {
  // A store that hands over the id's parts (the in-memory one) built the frame from an encoded
  // body in this process: whole, LF only, not scanned again. Frames read back from elsewhere are.
  const trusted = event.point !== undefined ? TRUSTED_FRAME : undefined;
  return new EncodedFrame(event.frame, event.id === '' ? undefined : event.id, event.value, trusted);
}

/** The parts of a stored event's id (parsed once per dispatch when the store did not give them). */
function pointOf(event: HubEvent): HubIdPoint | undefined {
  if (event.id === '') return undefined;
  return event.point ?? parseHubId(event.id);
}

export class ChannelRegistry {
  private readonly byChannel = new Map<string, Set<HubReceiver>>();
  /** Channels whose transport subscription is not confirmed yet. */
  private readonly watching = new Map<string, Promise<void>>();
  private readonly queue: HubEvent[] = [];
  private dispatching = false;

  constructor(private readonly transport: SseHubTransport) {}

  /** Subscriptions on `channel`. */
  count(channel: string): number {
    return this.byChannel.get(channel)?.size ?? 0;
  }

  /** Channels with at least one subscriber in this process. */
  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  /**
   * Adds a subscriber; returns a promise when the transport is still subscribing to one of the
   * channels (a remote transport): events published before it resolves may not arrive.
   */
  register(channels: readonly string[], receiver: HubReceiver): Promise<void> | undefined {
    let waits: Array<Promise<void>> | undefined;
    for (const channel of channels) {
      let set = this.byChannel.get(channel);
      if (!set) {
        set = new Set();
        this.byChannel.set(channel, set);
        this.watch(channel);
      }
      set.add(receiver);
      const pending = this.watching.get(channel);
      if (pending) (waits ??= []).push(pending);
    }
    return waits && Promise.all(waits).then(() => undefined);
  }

  unregister(channels: readonly string[], receiver: HubReceiver): void {
    for (const channel of channels) {
      const set = this.byChannel.get(channel);
      if (!set?.delete(receiver) || set.size > 0) continue;
      this.byChannel.delete(channel);
      this.watching.delete(channel);
      this.hint(() => this.transport.unwatch?.(channel));
    }
  }

  /** Delivers `event` to every subscriber of its channels, each once; nested calls wait their turn. */
  dispatch(event: HubEvent): void {
    if (this.dispatching) {
      this.queue.push(event);
      return;
    }
    this.dispatching = true;
    try {
      this.deliver(event);
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.deliver(next);
    } finally {
      this.dispatching = false;
    }
  }

  clear(): void {
    this.byChannel.clear();
    this.watching.clear();
    this.queue.length = 0;
  }

  private deliver(event: HubEvent): void {
    const { channels } = event;
    let frame: EncodedFrame | undefined;
    let point: HubIdPoint | undefined;
    if (channels.length === 1) {
      const set = this.byChannel.get(channels[0]!);
      if (!set) return;
      frame = frameOf(event);
      point = pointOf(event);
      for (const receiver of set) receiver.deliver(event, frame, point);
      return;
    }
    const reached = new Set<HubReceiver>();
    for (const channel of channels) {
      const set = this.byChannel.get(channel);
      if (!set) continue;
      if (!frame) {
        frame = frameOf(event);
        point = pointOf(event);
      }
      for (const receiver of set) {
        if (reached.has(receiver)) continue;
        reached.add(receiver);
        receiver.deliver(event, frame, point);
      }
    }
  }

  private watch(channel: string): void {
    let result: MaybePromise<void> | undefined;
    try {
      result = this.transport.watch?.(channel);
    } catch (err) {
      result = Promise.reject(err);
    }
    if (!isPromise(result)) return;
    const pending = result.finally(() => {
      if (this.watching.get(channel) === pending) this.watching.delete(channel);
    });
    this.watching.set(channel, pending);
    pending.catch(logHintError);
  }

  /** Unwatch hints are best-effort: a failure is logged, never thrown at a subscriber. */
  private hint(call: () => MaybePromise<void> | undefined): void {
    try {
      const result = call();
      if (isPromise(result)) result.catch(logHintError);
    } catch (err) {
      logHintError(err);
    }
  }
}

function logHintError(err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  logger.error(`Transport watch/unwatch failed: ${error.message}`, error.stack);
}
