/**
 * One subscriber: replay what the store holds after its Last-Event-ID (paced by its socket),
 * then live events, with no gap and no duplicate. It listens before it reads the history: live
 * events that arrive meanwhile wait, and any stored event not after the newest one it took (a
 * live copy of a replayed event) is dropped.
 */
import { encodeFields } from '../wire/encode-frame.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import { frameOf, type ChannelRegistry, type HubReceiver } from './channel-registry.js';
import type { HubSink } from './hub-source.js';
import type { HubEvent, HubReplay, SseHubStore } from './sse-hub-store.js';
import { isPromise } from '../source/is-promise.js';
import { compareHubIds, parseHubId, type HubIdPoint } from './hub-id.js';

/**
 * Event name of the notice a resuming subscriber gets when the store no longer holds everything
 * after its Last-Event-ID (trimmed, forgotten, or an id from another lifetime of the store). Its
 * data is `{"lastEventId": "...", "channels": [...]}` and it carries no id. Refetch state when you see it.
 */
export const SSE_GAP_EVENT = 'sse-gap';

/** The value of a gap notice frame. */
export interface SseGapNotice {
  readonly lastEventId: string;
  readonly channels: readonly string[];
}

/** What a subscriber's filter sees of a published event. */
export interface SseHubEventInfo<T = unknown> {
  readonly id: string;
  readonly channels: readonly string[];
  /** The published value. */
  readonly value: T;
  /** The publisher's `meta` (e.g. `{ to: userId }`). */
  readonly meta: unknown;
}

export interface SubscriptionPlan<T> {
  readonly channels: readonly string[];
  /** `undefined`: live events only; `null`: everything held from the start; an id: what follows it. */
  readonly after: string | null | undefined;
  readonly filter?: (event: SseHubEventInfo<T>) => boolean;
  /** Once live (after the replay). */
  readonly onLive?: () => void;
  /** Once, when it ends after it went live. */
  readonly onEnd?: () => void;
  /**
   * Live events paced by the socket too: when it is full, live events are left in the store and
   * read back from it once it drained (a resumable stream's followers: never dropped, never
   * buffered). Otherwise live events are pushed, and the stream's `maxPendingBytes` bounds them.
   */
  readonly paced?: boolean;
}

export interface SubscriptionHost {
  readonly registry: ChannelRegistry;
  readonly store: SseHubStore;
  /** Open subscriptions and their channels. */
  readonly subscribers: Map<HubSink, readonly string[]>;
}

function gapFrame(lastEventId: string, channels: readonly string[]): EncodedFrame<SseGapNotice> {
  const notice: SseGapNotice = { lastEventId, channels };
  return EncodedFrame.fromText(encodeFields({ event: SSE_GAP_EVENT, data: JSON.stringify(notice) }), undefined, notice);
}

export class HubSubscription<T> implements HubReceiver {
  /** Live events waiting while the replay is read and written. */
  private pending: Array<[HubEvent, EncodedFrame]> | undefined;
  /**
   * The newest stored id this subscriber has taken: ids arrive in order, so one not after it is a
   * copy (a live copy of a replayed event, or one a remote transport read again) and is dropped.
   */
  private newest: HubIdPoint | undefined;
  private live = false;
  private stopped = false;
  /** Paced subscriptions: the socket is full, live events are left in the store meanwhile. */
  private lagging = false;
  /** Id of the last stored event written, where a paced subscription reads on from. */
  private lastWritten: string | undefined;

  constructor(
    private readonly host: SubscriptionHost,
    private readonly plan: SubscriptionPlan<T>,
    private readonly sink: HubSink<T>,
  ) {}

  /** Starts receiving; returns the detach function. */
  start(): () => void {
    const { host, plan } = this;
    host.subscribers.set(this.sink as HubSink, plan.channels);
    const listening = host.registry.register(plan.channels, this);
    if (!listening) {
      this.begin();
    } else {
      // A remote transport is still subscribing: the stream opens once nothing can be missed.
      this.pending = [];
      listening.then(
        () => this.begin(),
        (err: unknown) => this.sink.error(err),
      );
    }
    return () => this.stop();
  }

  private begin(): void {
    if (this.sink.closed || this.stopped) return;
    this.sink.open?.();
    if (this.plan.after !== undefined) {
      this.pending ??= [];
      this.replay(this.plan.after);
    } else if (this.pending && this.pending.length > 0) {
      void this.writeAll(this.pending, () => {
        this.pending = undefined;
        this.goLive();
      }).catch((err: unknown) => this.sink.error(err));
    } else {
      this.pending = undefined;
      this.goLive();
    }
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.host.subscribers.delete(this.sink as HubSink);
    this.host.registry.unregister(this.plan.channels, this);
    this.pending = undefined;
    if (this.live) this.plan.onEnd?.();
  }

  /** @internal Called by the registry. */
  deliver(event: HubEvent, frame: EncodedFrame, point: HubIdPoint | undefined): void {
    if (this.pending) {
      this.pending.push([event, frame]);
      return;
    }
    if (this.lagging || !this.isNew(event, point)) return;
    if (!this.plan.paced || !this.sink.drained) {
      this.emit(event, frame, false);
      return;
    }
    if (this.emit(event, frame, true) || this.sink.closed || this.stopped) return;
    // Full: what comes next is in the store; read it back from there once the socket drained.
    this.lagging = true;
    void this.sink.drained().then((drained) => {
      this.lagging = false;
      if (!drained || this.sink.closed || this.stopped) return;
      this.pending = [];
      this.replay(this.lastWritten ?? null);
    });
  }

  private goLive(): void {
    if (this.sink.closed || this.stopped) return;
    this.live = true;
    this.plan.onLive?.();
  }

  private replay(after: string | null): void {
    const fail = (err: unknown): void => this.sink.error(err);
    try {
      const held = this.host.store.readAfter(this.plan.channels, after);
      if (isPromise(held)) held.then((replay) => this.finishReplay(after, replay)).catch(fail);
      else this.finishReplay(after, held).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private async finishReplay(after: string | null, held: HubReplay): Promise<void> {
    if (this.sink.closed || this.stopped) return;
    if (!held.complete && after !== null) this.sink.next(gapFrame(after, this.plan.channels) as EncodedFrame<T>);
    if (!(await this.writeAll(held.events.map((event) => [event, frameOf(event)])))) return;
    // Live events queued meanwhile (the array grows while a write waits for the socket); the
    // switch to live happens in the same synchronous step as the last of them is written.
    await this.writeAll(this.pending ?? [], () => {
      this.pending = undefined;
      this.goLive();
    });
  }

  /**
   * Paced writes; synchronous while the socket keeps up, so a store that answers at once replays
   * in one go. `then` runs right after the last one, before anything else can be delivered.
   */
  private async writeAll(events: Array<[HubEvent, EncodedFrame]>, then?: () => void): Promise<boolean> {
    for (const [event, frame] of events) {
      if (!this.isNew(event, event.id === '' ? undefined : parseHubId(event.id))) continue;
      if (this.emit(event, frame, true)) continue;
      if (this.sink.closed || this.stopped || !this.sink.drained || !(await this.sink.drained())) return false;
    }
    if (this.sink.closed || this.stopped) return false;
    then?.();
    return true;
  }

  /** False for a stored event not after the newest taken (a copy); true takes it. Unstored events (presence) are always new. */
  private isNew(event: HubEvent, point: HubIdPoint | undefined): boolean {
    if (event.id === '' || !point) return true;
    if (this.newest && compareHubIds(point, this.newest) <= 0) return false;
    this.newest = point;
    return true;
  }

  /** Writes one frame if the filter keeps it; false when a paced write asks to wait (or the subscriber is gone). */
  private emit(event: HubEvent, frame: EncodedFrame, paced: boolean): boolean {
    const { sink, plan } = this;
    if (sink.closed) return false;
    if (plan.filter && !event.last) {
      let keep: boolean;
      try {
        keep = plan.filter({ id: event.id, channels: event.channels, value: event.value as T, meta: event.meta });
      } catch (err) {
        sink.error(err);
        return false;
      }
      if (!keep) return true;
    }
    let accepted = true;
    if (paced && sink.write) accepted = sink.write(frame as EncodedFrame<T>);
    else sink.next(frame as EncodedFrame<T>);
    if (event.id !== '') this.lastWritten = event.id;
    // The last event of its channel (a resumable stream's end): nothing follows.
    if (event.last) {
      sink.complete();
      return false;
    }
    return accepted;
  }
}
