/**
 * The in-memory store's own rules (what every store does is in test/conformance/): ids from the
 * clock, lifetimes, and the bounds of the whole store (events, age, idle channels, channel
 * count, bytes), with tombstones so that forgetting never turns into a silent loss.
 */
import fc from 'fast-check';
import { SseOptionsError } from '../errors.js';
import { compareHubIds, parseHubId } from './hub-id.js';
import { DEFAULT_HISTORY_MAX_EVENTS, DEFAULT_IDLE_CHANNEL_MS } from './history-bounds.js';
import { InMemoryHubStore } from './in-memory-hub-store.js';
import type { HubEvent, HubEventInput } from './sse-hub-store.js';

const input = (channels: string | string[], value: unknown = null, meta?: unknown): HubEventInput => ({
  channels: typeof channels === 'string' ? [channels] : channels,
  body: `data: ${JSON.stringify(value)}\n\n`,
  value,
  meta,
});

const ids = (events: readonly HubEvent[]) => events.map((e) => e.id);

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
  };
}

describe('InMemoryHubStore', () => {
  describe('ids', () => {
    it('takes <ms> from the clock (never before the store was made) and counts <seq> within one millisecond', () => {
      const clock = manualClock(5000);
      const store = new InMemoryHubStore({}, clock.now);
      // Made at 5000: its first possible id is at 5001, later than anything an earlier process assigned.
      expect(ids([store.append(input('a')), store.append(input('b'))])).toEqual(['5001-0', '5001-1']);
      clock.set(7000);
      expect(store.append(input('a')).id).toBe('7000-0');
      expect(store.append(input(['a', 'b'])).id).toBe('7000-1');
    });

    it('keeps ids increasing when the clock steps back', () => {
      const clock = manualClock(5000);
      const store = new InMemoryHubStore({}, clock.now);
      clock.set(9000);
      expect(store.append(input('a')).id).toBe('9000-0');
      clock.set(8000);
      expect(store.append(input('a')).id).toBe('9000-1');
    });

    it('assigns ids with no history at all', () => {
      const store = new InMemoryHubStore(false);
      const first = store.append(input('a'));
      const second = store.append(input('a'));
      expect(compareHubIds(parseHubId(first.id)!, parseHubId(second.id)!)).toBeLessThan(0);
      expect(store.size()).toBe(0);
    });

    it('never hands out the same id from two stores of one process', () => {
      const a = new InMemoryHubStore();
      const b = new InMemoryHubStore();
      const seen = new Set<string>();
      for (let i = 0; i < 100; i++) {
        seen.add(a.append(input('x')).id);
        seen.add(b.append(input('x')).id);
      }
      expect(seen.size).toBe(200);
    });
  });

  describe('lifetimes', () => {
    it('does not know an id of an earlier lifetime: the resume gets everything held, incomplete', () => {
      const clock = manualClock(10_000);
      const before = new InMemoryHubStore({}, clock.now);
      const old = before.append(input('r', 'old'));
      clock.advance(5000); // a restart
      const after = new InMemoryHubStore({}, clock.now);
      const fresh = after.append(input('r', 'new'));
      const replay = after.readAfter(['r'], old.id);
      expect(replay.complete).toBe(false);
      expect(ids(replay.events)).toEqual([fresh.id]);
    });

    it('does not know an id later than its newest, nor any id while it is empty', () => {
      const clock = manualClock(10_000);
      const store = new InMemoryHubStore({}, clock.now);
      expect(store.readAfter(['r'], '10001-0').complete).toBe(false);
      const event = store.append(input('r'));
      expect(store.readAfter(['r'], event.id).complete).toBe(true);
      expect(store.readAfter(['r'], '10001-5').complete).toBe(false);
    });
  });

  describe('maxEvents', () => {
    it(`keeps ${DEFAULT_HISTORY_MAX_EVENTS} events per channel by default`, () => {
      const store = new InMemoryHubStore();
      for (let i = 0; i < DEFAULT_HISTORY_MAX_EVENTS + 10; i++) store.append(input('a', i));
      expect(store.size('a')).toBe(DEFAULT_HISTORY_MAX_EVENTS);
    });

    it('stays correct over many appends (queue compaction)', () => {
      const store = new InMemoryHubStore({ maxEvents: 7 });
      let last: HubEvent | undefined;
      const all: HubEvent[] = [];
      for (let i = 0; i < 5000; i++) all.push((last = store.append(input('a', i))));
      const replay = store.readAfter(['a'], all[4992]!.id);
      expect(ids(replay.events)).toEqual(ids(all.slice(4993)));
      expect(replay.events.at(-1)?.id).toBe(last!.id);
    });

    it('history: false keeps nothing: every resume reports the gap', () => {
      const store = new InMemoryHubStore(false);
      const event = store.append(input('a'));
      expect(store.readAfter(['a'], event.id)).toEqual({ events: [], complete: false });
      expect(store.readAfter(['a'], null)).toEqual({ events: [], complete: false });
    });
  });

  describe('maxAgeMs', () => {
    it('drops events older than maxAgeMs, keeping one exactly that old', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      const old = store.append(input('a', 'old'));
      clock.advance(500);
      const mid = store.append(input('a', 'mid'));
      clock.advance(500);
      expect(ids(store.readAfter(['a'], null).events)).toEqual([old.id, mid.id]);
      clock.advance(1);
      const replay = store.readAfter(['a'], null);
      expect(ids(replay.events)).toEqual([mid.id]);
      expect(replay.complete).toBe(false);
      expect(store.readAfter(['a'], old.id).complete).toBe(true);
    });

    it('forgets a channel whose every event expired, and still reports what it lost (tombstone); it remembers when it comes back', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      const first = store.append(input('gone', 1));
      const second = store.append(input('gone', 2));
      clock.advance(2000);
      store.append(input('other'));
      expect(store.channelCount).toBe(1);
      expect(store.readAfter(['gone'], first.id).complete).toBe(false);
      expect(store.readAfter(['gone'], second.id).complete).toBe(true);
      const back = store.append(input('gone', 3));
      expect(store.readAfter(['gone'], first.id)).toEqual({ events: [back], complete: false });
      expect(store.readAfter(['gone'], second.id)).toEqual({ events: [back], complete: true });
    });
  });

  describe('idle channels', () => {
    it(`forgets a channel without a new event for idleChannelMs (default ${DEFAULT_IDLE_CHANNEL_MS} ms), keeping its tombstone`, () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({}, clock.now);
      const quiet = [store.append(input('quiet', 1)), store.append(input('quiet', 2))];
      clock.advance(DEFAULT_IDLE_CHANNEL_MS - 1);
      const busy = store.append(input('busy'));
      expect(store.channelCount).toBe(2);
      clock.advance(2);
      store.readAfter(['busy'], busy.id);
      expect(store.channelCount).toBe(1);
      expect(store.size('quiet')).toBe(0);
      expect(store.tombstoneCount).toBe(1);
      // A client that saw the last event lost nothing; one that did not is told.
      expect(store.readAfter(['quiet'], quiet[1]!.id)).toEqual({ events: [], complete: true });
      expect(store.readAfter(['quiet'], quiet[0]!.id)).toEqual({ events: [], complete: false });
    });

    it('takes idleChannelMs from the options', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ idleChannelMs: 100 }, clock.now);
      store.append(input('a'));
      clock.advance(101);
      store.append(input('b'));
      expect(store.channelCount).toBe(1);
    });
  });

  describe('maxChannels', () => {
    it('forgets the least recently published channel past maxChannels, with a tombstone', () => {
      const store = new InMemoryHubStore({ maxChannels: 3 });
      const a = store.append(input('a'));
      store.append(input('b'));
      store.append(input('c'));
      store.append(input('a')); // a is now the most recent
      store.append(input('d')); // b goes
      expect(store.channelCount).toBe(3);
      expect(store.size('b')).toBe(0);
      expect(store.size('a')).toBe(2);
      expect(store.readAfter(['b'], a.id).complete).toBe(false);
    });
  });

  describe('maxBytes', () => {
    const event = (text: string) => input('x', text);

    it('counts what it holds, and gives it back when a channel is forgotten', () => {
      const store = new InMemoryHubStore();
      expect(store.bytes).toBe(0);
      store.append(input('a', 'x'.repeat(1000)));
      const one = store.bytes;
      expect(one).toBeGreaterThan(2000);
      store.append(input('b', 'x'.repeat(1000)));
      expect(store.bytes).toBe(2 * one);
      store.forget('a');
      expect(store.bytes).toBe(one);
      store.close();
      expect(store.bytes).toBe(0);
    });

    it('past maxBytes, forgets the least recently published channels first, then trims the last one standing', () => {
      const store = new InMemoryHubStore({ maxBytes: 10_000 });
      const big = 'y'.repeat(1000);
      for (const channel of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) store.append(input(channel, big));
      expect(store.bytes).toBeLessThanOrEqual(10_000);
      expect(store.size('a')).toBe(0);
      expect(store.size('h')).toBe(1);
      const single = new InMemoryHubStore({ maxBytes: 10_000 });
      const all: HubEvent[] = [];
      for (let i = 0; i < 20; i++) all.push(single.append(event(`${i}:${big}`)));
      expect(single.bytes).toBeLessThanOrEqual(10_000);
      const replay = single.readAfter(['x'], all[0]!.id);
      expect(replay.complete).toBe(false);
      expect(ids(replay.events)).toEqual(ids(all.slice(all.length - replay.events.length)));
      expect(replay.events.length).toBeGreaterThan(0);
    });
  });

  it('folds the oldest tombstones into a watermark past 10,000 forgotten channels (a gap is reported, never a silent loss)', () => {
    const clock = manualClock();
    const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
    const made: HubEvent[] = [];
    for (let i = 0; i < 10_002; i++) made.push(store.append(input(`ch${i}`)));
    clock.advance(2000);
    store.append(input('live')); // forgets every ch*: ch0 and ch1 fold into the watermark (ch1's id)
    expect(store.channelCount).toBe(1);
    expect(store.tombstoneCount).toBe(10_000);
    expect(store.readAfter(['ch0'], made[1]!.id).complete).toBe(true);
    // Spurious but safe: below the watermark, any channel reports a gap, even one never seen.
    expect(store.readAfter(['ch0'], made[0]!.id).complete).toBe(false);
    expect(store.readAfter(['never'], made[0]!.id).complete).toBe(false);
    expect(store.readAfter(['never'], made[1]!.id).complete).toBe(true);
    // ch10001 still has its own tombstone.
    expect(store.readAfter(['ch10001'], made[10_000]!.id).complete).toBe(false);
    expect(store.readAfter(['ch10001'], made[10_001]!.id).complete).toBe(true);
  });

  describe('model (property)', () => {
    type Op = { kind: 'append'; channels: string[]; dt: number } | { kind: 'read'; channels: string[]; back: number; dt: number };
    const channelSet = fc.subarray(['a', 'b', 'c'], { minLength: 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), channels: channelSet, dt: fc.nat({ max: 400 }) }),
      fc.record({
        kind: fc.constant('read' as const),
        channels: fc.subarray(['a', 'b', 'c', 'd']),
        back: fc.nat({ max: 30 }),
        dt: fc.nat({ max: 400 }),
      }),
    );

    it('replays exactly the held events after the id, and says complete exactly when nothing after it was lost', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }),
          fc.option(fc.integer({ min: 100, max: 2000 }), { nil: undefined }),
          fc.array(op, { maxLength: 80 }),
          (maxEvents, maxAgeMs, ops) => {
            const clock = manualClock(0);
            const store = new InMemoryHubStore({ maxEvents, maxAgeMs }, clock.now);
            // The model: every event ever appended, with its channels and time.
            const log: Array<{ id: string; n: number; channels: string[]; at: number }> = [];
            for (const step of ops) {
              clock.advance(step.dt);
              if (step.kind === 'append') {
                const event = store.append(input(step.channels));
                log.push({ id: event.id, n: log.length + 1, channels: step.channels, at: clock.now() });
                continue;
              }
              const after = Math.max(0, log.length - step.back);
              const replay = store.readAfter(step.channels, after === 0 ? null : log[after - 1]!.id);
              const cutoff = maxAgeMs === undefined ? -Infinity : clock.now() - maxAgeMs;
              // Held per channel: its newest maxEvents events, minus those older than maxAgeMs.
              const held = new Set<number>();
              let complete = true;
              for (const channel of new Set(step.channels)) {
                const onChannel = log.filter((e) => e.channels.includes(channel));
                const kept = onChannel.slice(-maxEvents).filter((e) => e.at >= cutoff);
                for (const e of kept) held.add(e.n);
                if (onChannel.some((e) => e.n > after && !kept.includes(e))) complete = false;
              }
              const expected = [...held].filter((n) => n > after).sort((x, y) => x - y);
              expect(replay.events.map((e) => e.id)).toEqual(expected.map((n) => log[n - 1]!.id));
              expect(replay.complete).toBe(complete);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('options', () => {
    it.each([
      ['maxEvents', -1],
      ['maxEvents', 1.5],
      ['maxEvents', NaN],
      ['maxEvents', '10'],
      ['maxChannels', 0],
      ['maxBytes', -5],
      ['idleChannelMs', 0],
      ['maxAgeMs', 0],
      ['maxAgeMs', '1000'],
    ])('rejects %s: %p, naming it', (name, value) => {
      expect(() => new InMemoryHubStore({ [name]: value })).toThrow(SseOptionsError);
      expect(() => new InMemoryHubStore({ [name]: value })).toThrow(new RegExp(`history\\.${name}`));
    });

    it('accepts maxEvents: 0, Infinity bounds, fractional and infinite maxAgeMs', () => {
      expect(() => new InMemoryHubStore({ maxEvents: 0 })).not.toThrow();
      expect(() => new InMemoryHubStore({ maxEvents: Infinity, maxChannels: Infinity, maxBytes: Infinity })).not.toThrow();
      expect(() => new InMemoryHubStore({ maxAgeMs: 0.5 })).not.toThrow();
      expect(() => new InMemoryHubStore({ maxAgeMs: Infinity })).not.toThrow();
    });
  });
});
