/**
 * Fan-out through Redis pub/sub: one subscriber connection per instance, one SUBSCRIBE per hub
 * channel that has subscribers here (the hub's watch/unwatch hints), never one per client. Stored
 * events are published by the RedisHubStore's append script on the same keyPrefix, in id order;
 * this transport publishes only what is not stored (presence). When its subscriber connection
 * comes back after Redis went away, it reads what it missed from the channels' streams first, so
 * an event whose publish() resolved reaches every subscriber.
 */
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { compareHubIds, formatHubId, parseHubId, type HubIdPoint } from '../hub/hub-id.js';
import type { HubEvent } from '../hub/sse-hub-store.js';
import type { SseHubTransport } from '../hub/sse-hub-transport.js';
import { Listeners, reportListenerError } from '../hub/listeners.js';
import { decodeEntries, decodeMessage, sentMessage, type StreamEntry } from './redis-event-codec.js';
import { RedisLink, type RedisHubConnectionOptions } from './redis-connection.js';
import { PUBLISHED_IN } from './redis-hub-store.js';
import { RedisKeys } from './redis-keys.js';
import { readScript } from './redis-scripts.js';
import { DEFAULT_INSTANCE_TIMEOUT_MS, RedisPresence } from './redis-presence.js';

export interface RedisHubTransportOptions extends RedisHubConnectionOptions {
  /**
   * How long (ms) an instance counts as alive without announcing itself (it does every third of
   * it): presence and subscription counts of an instance that died are taken back this long after.
   * Default 15,000.
   */
  instanceTimeoutMs?: number;
}

/** Nonces of multi-channel messages remembered, to deliver such an event once. */
const MAX_NONCES = 1024;

const logger = new Logger('SseHub');
const logError = (message: string, stack?: string): void => logger.error(message, stack);

export class RedisHubTransport implements SseHubTransport {
  readonly keys: RedisKeys;
  /** Unique per instance: tells this instance's messages and counts from the others'. */
  readonly instanceId = randomUUID();
  /** Presence and subscription counts across instances. */
  readonly presence: RedisPresence;
  private readonly link: RedisLink;
  private readonly sub: RedisLink;
  private readonly listeners = new Listeners<[HubEvent]>(reportListenerError(logError, 'listener'));
  private readonly watched = new Map<string, Promise<void>>();
  /** Per watched channel: the newest id when its subscription was confirmed (a catch-up reads from there at the earliest). */
  private readonly watchedFrom = new Map<string, HubIdPoint>();
  private readonly lostListeners = new Listeners<[string[]]>(reportListenerError(logError, 'lost-events listener'));
  private readonly nonces = new Set<string>();
  private readonly signalListeners = new Listeners<[string]>(reportListenerError(logError, 'signal listener'));
  private nonceSeq = 0;
  /** Newest stored id received: stored events arrive in id order, so anything not after it is a copy. */
  private lastSeen: HubIdPoint | undefined;
  /** While catching up after a reconnect: messages wait here. */
  private held: string[] | undefined;
  private everReady = false;
  private catchUpAgain = false;
  private closed = false;

  constructor(options: RedisHubTransportOptions = {}) {
    const timeout = options?.instanceTimeoutMs ?? DEFAULT_INSTANCE_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeout) || timeout < 100) {
      throw new TypeError(`new RedisHubTransport(): instanceTimeoutMs is ${String(timeout)}; expected a whole number of ms, at least 100.`);
    }
    this.keys = new RedisKeys(options?.keyPrefix);
    this.link = RedisLink.open(options, 'RedisHubTransport');
    this.sub = this.link.duplicate();
    this.presence = new RedisPresence(() => this.link.client, this.keys, this.instanceId, timeout);
    this.sub.client.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.sub.client.on('ready', () => {
      if (this.everReady && !this.closed) void this.catchUp();
      this.everReady = true;
    });
  }

  /** Called by the hub at start-up: fails with a message naming the URL when Redis cannot be reached. */
  async connect(): Promise<void> {
    await this.link.connect();
    await this.sub.connect();
    await this.sub.client.subscribe(this.keys.control);
    // Where "new" starts: events stored before this instance listened are not its to deliver.
    const [ms, seq] = await this.link.client.hmget(this.keys.clock, 'ms', 'seq');
    if (ms !== null && seq !== null && this.lastSeen === undefined) this.see(`${ms}-${seq}`);
    await this.presence.start();
  }

  /** Stored events were published by the store's script; the rest goes out here, once per channel. */
  async publish(event: HubEvent): Promise<void> {
    if ((event as { [PUBLISHED_IN]?: string })[PUBLISHED_IN] === this.keys.tag) return;
    const nonce = event.channels.length > 1 ? `${this.instanceId}:${this.nonceSeq++}` : '';
    const message = sentMessage(event, nonce);
    const pipeline = this.link.client.pipeline();
    for (const channel of event.channels) pipeline.publish(this.keys.events(channel), message);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  subscribe(listener: (event: HubEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Resolves once Redis confirmed the subscription: from then on no publish on `channel` is missed. */
  watch(channel: string): Promise<void> {
    let pending = this.watched.get(channel);
    if (!pending) {
      pending = this.sub.client
        .subscribe(this.keys.events(channel))
        .then(() => this.link.client.hmget(this.keys.clock, 'ms', 'seq'))
        .then(([ms, seq]) => {
          if (this.watched.get(channel) === pending) this.watchedFrom.set(channel, { ms: Number(ms ?? 0), seq: Number(seq ?? 0) });
        });
      this.watched.set(channel, pending);
      pending.catch(() => {
        if (this.watched.get(channel) === pending) this.watched.delete(channel);
      });
    }
    return pending;
  }

  async unwatch(channel: string): Promise<void> {
    if (!this.watched.delete(channel)) return;
    this.watchedFrom.delete(channel);
    await this.sub.client.unsubscribe(this.keys.events(channel));
  }

  /**
   * Channels whose events this instance may have missed (its subscription was down longer than
   * their history reaches back, or the history could not be read): the hub ends their
   * subscribers, which reconnect with their Last-Event-ID and get the gap notice.
   */
  onLost(listener: (channels: string[]) => void): () => void {
    return this.lostListeners.add(listener);
  }

  /** Sends a message to every instance, this one included (stop a resumable stream where it runs). */
  async signal(message: string): Promise<void> {
    await this.link.client.publish(this.keys.control, message);
  }

  onSignal(listener: (message: string) => void): () => void {
    return this.signalListeners.add(listener);
  }

  /** The command connection (for the hub's cluster-wide counts). */
  get client(): RedisLink['client'] {
    return this.link.client;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.presence.clear();
    this.listeners.clear();
    this.watched.clear();
    await this.sub.close();
    await this.link.close();
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.keys.control) {
      this.signalListeners.emit(message);
      return;
    }
    if (this.held) {
      this.held.push(message);
      return;
    }
    this.handle(message);
  }

  private handle(message: string): void {
    let decoded;
    try {
      decoded = decodeMessage(message);
    } catch (err) {
      logger.error((err as Error).message);
      return;
    }
    const { event } = decoded;
    if (decoded.stored) {
      // A copy (the same event on a second watched channel, or one a catch-up delivered).
      const point = parseHubId(event.id);
      if (!point || (this.lastSeen && compareHubIds(point, this.lastSeen) <= 0)) return;
      this.lastSeen = point;
    } else if (decoded.nonce !== '') {
      if (this.nonces.has(decoded.nonce)) return;
      this.nonces.add(decoded.nonce);
      if (this.nonces.size > MAX_NONCES) this.nonces.delete(this.nonces.values().next().value as string);
    }
    this.emit(event);
  }

  private emit(event: HubEvent): void {
    this.listeners.emit(event);
  }

  /**
   * Stored events after each channel's start, in id order, and the channels that lost events
   * after their start (trimmed, forgotten); retried while the command connection reconnects.
   */
  private async readMissed(starts: Map<string, HubIdPoint>): Promise<{ events: HubEvent[]; lost: string[] }> {
    const deadline = Date.now() + CATCH_UP_PATIENCE_MS;
    const { keys } = this;
    for (;;) {
      try {
        const channels = [...starts.keys()];
        const replies = await Promise.all(
          channels.map((channel) =>
            readScript.run(
              this.link.client,
              [keys.clock, keys.channels, keys.gone, keys.goneIds, keys.history(channel)],
              // No bounds applied here: the store applies them on its own reads and appends.
              [formatHubId(starts.get(channel)!), 0, 0, Number.MAX_SAFE_INTEGER, keys.historyPrefix, channel],
            ),
          ),
        );
        const lost: string[] = [];
        const lists = replies.map((reply, i) => {
          const [known, [dropped, entries]] = reply as [number, [string | null, StreamEntry[]]];
          const droppedPoint = dropped && dropped !== '0-0' ? parseHubId(dropped) : undefined;
          // Same data set and something after the start is gone: those subscribers missed it.
          if (known === 1 && droppedPoint && compareHubIds(droppedPoint, starts.get(channels[i]!)!) > 0) lost.push(channels[i]!);
          return entries;
        });
        return { events: decodeEntries(lists), lost };
      } catch (err) {
        if (this.closed || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private lose(channels: string[]): void {
    this.lostListeners.emit(channels);
  }

  private see(id: string): void {
    const point = parseHubId(id);
    if (!point) return;
    this.lastSeen = point;
  }

  /**
   * The subscriber connection came back (ioredis re-subscribed): what was stored meanwhile on the
   * watched channels is read from their streams and delivered first, in id order; messages that
   * arrive during the read wait, and copies are dropped by id.
   */
  private async catchUp(): Promise<void> {
    if (this.held) {
      // Reconnected again while catching up: once more after this one, from where it got to.
      this.catchUpAgain = true;
      return;
    }
    this.held = [];
    try {
      // Commands on one connection run in order: after this answer the re-subscriptions are active.
      await this.sub.client.ping();
    } catch {
      // The subscriber connection dropped again: its next 'ready' catches up.
      this.release();
      return;
    }
    try {
      const starts = new Map<string, HubIdPoint>();
      for (const [channel, from] of this.watchedFrom) {
        starts.set(channel, this.lastSeen && compareHubIds(this.lastSeen, from) > 0 ? this.lastSeen : from);
      }
      if (starts.size > 0) {
        const { events, lost } = await this.readMissed(starts);
        // First: their subscribers end before anything after the gap reaches them, so that their
        // Last-Event-ID is from before it and their resume gets the gap notice.
        if (lost.length > 0) this.lose(lost);
        for (const event of events) {
          this.see(event.id);
          this.emit(event);
        }
      }
    } catch (err) {
      logger.error(
        `Redis transport: could not read what was published while disconnected (${(err as Error).message}); its subscribers are ended so that they resume.`,
      );
      this.lose([...this.watched.keys()]);
    }
    this.release();
  }

  /** Delivers what arrived during a catch-up (copies are dropped by id), or catches up once more. */
  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const message of held) this.handle(message);
    if (this.catchUpAgain && !this.closed) {
      this.catchUpAgain = false;
      void this.catchUp();
    }
  }
}

/** How long a catch-up waits for the command connection to come back too. */
const CATCH_UP_PATIENCE_MS = 10_000;
