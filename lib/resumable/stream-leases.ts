/**
 * Who runs a resumable stream, and how it ended: the lease that makes "one producer per key"
 * true. In this process by default; a store shared by instances (Redis) provides its own, so the
 * rule holds across every instance and a crashed instance's lease runs out.
 */
import type { MaybePromise } from '../hub/sse-hub-store.js';

/** Prefix of the hub channels that hold recordings; a channel of the app's cannot start with it. */
export const RESUMABLE_CHANNEL_PREFIX = 'sse-stream:';

export type StreamStatus = 'running' | 'complete' | 'error' | 'stopped';

export interface StreamState {
  readonly status: StreamStatus;
  /** Id of the last event a client can see (set when it ended): a client that has it has everything. */
  readonly lastVisibleId?: string;
  /** Running, but its owner stopped renewing the lease (its instance went away). */
  readonly orphaned?: boolean;
}

/** Leases and states of resumable streams, by key. */
export interface SseStreamLeases {
  /** True when leases must be renewed (shared by several instances; an owner can die). */
  readonly shared: boolean;
  /** Takes `key` for `owner`: false when it is held (running somewhere, or ended within its ttl). */
  claim(key: string, owner: string, leaseMs: number): MaybePromise<boolean>;
  /** Extends the lease; false when another owner holds it (or it ended), `undefined` when it is gone (the store lost it). */
  renew(key: string, owner: string, leaseMs: number): MaybePromise<boolean | undefined>;
  /** Records the end; the state and the recording of `channel` go `ttlMs` later. */
  finish(key: string, owner: string, channel: string, state: StreamState, ttlMs: number): MaybePromise<void>;
  /** `undefined` when the key is unknown or expired. */
  state(key: string): MaybePromise<StreamState | undefined>;
  /** Takes an orphaned stream over (to record its end): true for the one caller that gets it. */
  takeOver(key: string, owner: string, leaseMs: number): MaybePromise<boolean>;
  close?(): void;
}

interface LocalEntry {
  owner: string;
  state: StreamState;
  expiry?: NodeJS.Timeout;
}

/**
 * The default: leases in this process, bounded. Past `maxStreams` held keys, the oldest ended one
 * goes (with its recording); when every held key is running, a claim throws what `full()` gives.
 */
export class LocalStreamLeases implements SseStreamLeases {
  readonly shared = false;
  private readonly entries = new Map<string, LocalEntry>();

  constructor(
    private readonly maxStreams: number,
    /** Drops a recording whose ttl ran out (or that made room). */
    private readonly forget: (key: string) => void,
    private readonly full: () => Error,
  ) {}

  /** Keys held now (running, or ended within their ttl). */
  get size(): number {
    return this.entries.size;
  }

  claim(key: string, owner: string): boolean {
    if (this.entries.has(key)) return false;
    if (this.entries.size >= this.maxStreams) this.makeRoom();
    this.entries.set(key, { owner, state: { status: 'running' } });
    return true;
  }

  renew(key: string, owner: string): boolean {
    return this.entries.get(key)?.owner === owner;
  }

  finish(key: string, owner: string, _channel: string, state: StreamState, ttlMs: number): void {
    const entry = this.entries.get(key);
    if (!entry || entry.owner !== owner) return;
    entry.state = state;
    clearTimeout(entry.expiry);
    entry.expiry = setTimeout(() => this.expire(key, entry), ttlMs);
    entry.expiry.unref();
  }

  state(key: string): StreamState | undefined {
    return this.entries.get(key)?.state;
  }

  takeOver(): boolean {
    return false;
  }

  close(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.expiry);
    this.entries.clear();
  }

  private makeRoom(): void {
    for (const [key, entry] of this.entries) {
      if (entry.state.status === 'running') continue;
      this.expire(key, entry);
      return;
    }
    throw this.full();
  }

  private expire(key: string, entry: LocalEntry): void {
    clearTimeout(entry.expiry);
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.forget(key);
  }
}
