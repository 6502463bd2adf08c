import fc from 'fast-check';
import { SseOptionsError } from '../errors.js';
import { DEFAULT_HISTORY_MAX_EVENTS, InMemoryHubStore } from './in-memory-hub-store.js';
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
  };
}

describe('InMemoryHubStore', () => {
  describe('ids', () => {
    it('assigns monotonic decimal ids from "1", hub-wide across channels', () => {
      const store = new InMemoryHubStore();
      const assigned = [store.append(input('a')), store.append(input('b')), store.append(input(['a', 'b'])), store.append(input('c'))];
      expect(ids(assigned)).toEqual(['1', '2', '3', '4']);
    });

    it('keeps counting past the history bound and with no history at all', () => {
      const bounded = new InMemoryHubStore({ maxEvents: 1 });
      const none = new InMemoryHubStore(false);
      for (let i = 1; i <= 20; i++) {
        expect(bounded.append(input('a')).id).toBe(String(i));
        expect(none.append(input('a')).id).toBe(String(i));
      }
    });

    it('returns the input fields with the id, without mutating the input', () => {
      const store = new InMemoryHubStore();
      const given = input(['x', 'y'], { n: 1 }, { to: 'u1' });
      const event = store.append(given);
      expect(event).toEqual({ ...given, id: '1' });
      expect(given).not.toHaveProperty('id');
    });

    it('ids are strictly increasing decimal integers (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.subarray(['a', 'b', 'c'], { minLength: 1 }), { minLength: 1, maxLength: 200 }), (channelLists) => {
          const store = new InMemoryHubStore({ maxEvents: 3 });
          let previous = 0;
          for (const channels of channelLists) {
            const { id } = store.append(input(channels));
            expect(id).toMatch(/^[1-9][0-9]*$/);
            expect(Number(id)).toBe(previous + 1);
            previous = Number(id);
          }
        }),
      );
    });
  });

  describe('readAfter', () => {
    it('returns the events after the id, oldest first, complete', () => {
      const store = new InMemoryHubStore();
      for (let i = 0; i < 5; i++) store.append(input('a', i));
      const replay = store.readAfter(['a'], '2');
      expect(replay.complete).toBe(true);
      expect(ids(replay.events)).toEqual(['3', '4', '5']);
      expect(replay.events.map((e) => e.value)).toEqual([2, 3, 4]);
    });

    it('returns nothing, complete, after the newest id', () => {
      const store = new InMemoryHubStore();
      store.append(input('a'));
      store.append(input('a'));
      expect(store.readAfter(['a'], '2')).toEqual({ events: [], complete: true });
    });

    it('returns everything, complete, after "0"', () => {
      const store = new InMemoryHubStore();
      store.append(input('a'));
      store.append(input('a'));
      expect(store.readAfter(['a'], '0')).toMatchObject({ complete: true });
      expect(ids(store.readAfter(['a'], '0').events)).toEqual(['1', '2']);
    });

    it('returns only the events of the channels asked for', () => {
      const store = new InMemoryHubStore();
      store.append(input('a')); // 1
      store.append(input('b')); // 2
      store.append(input('a')); // 3
      store.append(input('c')); // 4
      expect(ids(store.readAfter(['a'], '0').events)).toEqual(['1', '3']);
      expect(ids(store.readAfter(['b'], '0').events)).toEqual(['2']);
      expect(ids(store.readAfter(['a'], '1').events)).toEqual(['3']);
    });

    it('is complete for a channel that never had an event', () => {
      const store = new InMemoryHubStore();
      store.append(input('a'));
      expect(store.readAfter(['never'], '1')).toEqual({ events: [], complete: true });
      expect(store.readAfter([], '1')).toEqual({ events: [], complete: true });
    });

    it('returns the stored events themselves (body, value and meta kept)', () => {
      const store = new InMemoryHubStore();
      const event = store.append(input('a', { big: true }, { to: 'me' }));
      expect(store.readAfter(['a'], '0').events[0]).toBe(event);
    });

    it('merges several channels by id, keeping an event on two channels once', () => {
      const store = new InMemoryHubStore();
      store.append(input('a')); // 1
      store.append(input(['a', 'b'])); // 2
      store.append(input('b')); // 3
      store.append(input('c')); // 4
      store.append(input(['b', 'a', 'c'])); // 5
      store.append(input('a')); // 6
      const replay = store.readAfter(['b', 'a'], '0');
      expect(replay.complete).toBe(true);
      expect(ids(replay.events)).toEqual(['1', '2', '3', '5', '6']);
      expect(ids(store.readAfter(['c', 'b', 'a'], '2').events)).toEqual(['3', '4', '5', '6']);
    });

    it('orders ids numerically, not as text', () => {
      const store = new InMemoryHubStore();
      for (let i = 1; i <= 12; i++) store.append(input(i % 2 === 0 ? 'even' : 'odd'));
      const merged = ids(store.readAfter(['even', 'odd'], '0').events);
      expect(merged).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    });

    it('reads a channel listed twice once', () => {
      const store = new InMemoryHubStore();
      store.append(input('a'));
      store.append(input('a'));
      expect(ids(store.readAfter(['a', 'a'], '0').events)).toEqual(['1', '2']);
    });

    describe('an id this store never assigned', () => {
      it.each([
        ['an id above the newest', '99'],
        ['a non-decimal id', 'abc'],
        ['a negative id', '-1'],
        ['a leading zero', '01'],
        ['a fraction', '1.5'],
        ['an exponent', '1e1'],
        ['spaces', ' 1'],
        ['a hex id', '0x1'],
        ['the empty string', ''],
        ['a huge number', '123456789012345678901234567890'],
      ])('%s is reported incomplete, followed by everything held', (_label, lastEventId) => {
        const store = new InMemoryHubStore();
        store.append(input('a'));
        store.append(input('b'));
        store.append(input('a'));
        const replay = store.readAfter(['a'], lastEventId);
        expect(replay.complete).toBe(false);
        expect(ids(replay.events)).toEqual(['1', '3']);
      });

      it('is reported incomplete even on an empty store', () => {
        expect(new InMemoryHubStore().readAfter(['a'], '1')).toEqual({ events: [], complete: false });
      });

      it('an id from another store (e.g. before a restart) is reported incomplete', () => {
        const before = new InMemoryHubStore();
        for (let i = 0; i < 10; i++) before.append(input('a'));
        const after = new InMemoryHubStore();
        after.append(input('a'));
        expect(after.readAfter(['a'], '10')).toMatchObject({ complete: false });
      });
    });
  });

  describe('trimming by maxEvents', () => {
    it('keeps the default number of events per channel', () => {
      const store = new InMemoryHubStore();
      for (let i = 0; i < DEFAULT_HISTORY_MAX_EVENTS + 5; i++) store.append(input('a'));
      expect(DEFAULT_HISTORY_MAX_EVENTS).toBe(1000);
      expect(store.size('a')).toBe(DEFAULT_HISTORY_MAX_EVENTS);
      expect(store.readAfter(['a'], '0').events[0].id).toBe('6');
    });

    it('keeps at most maxEvents per channel, dropping the oldest', () => {
      const store = new InMemoryHubStore({ maxEvents: 3 });
      for (let i = 0; i < 5; i++) store.append(input('a'));
      expect(store.size('a')).toBe(3);
      expect(ids(store.readAfter(['a'], '2').events)).toEqual(['3', '4', '5']);
    });

    it('is complete when the resume point is the last trimmed id or later', () => {
      const store = new InMemoryHubStore({ maxEvents: 3 });
      for (let i = 0; i < 5; i++) store.append(input('a'));
      expect(store.readAfter(['a'], '2').complete).toBe(true);
      expect(store.readAfter(['a'], '4').complete).toBe(true);
    });

    it('is incomplete when events after the resume point were trimmed, and returns what it holds', () => {
      const store = new InMemoryHubStore({ maxEvents: 3 });
      for (let i = 0; i < 5; i++) store.append(input('a'));
      const replay = store.readAfter(['a'], '1');
      expect(replay.complete).toBe(false);
      expect(ids(replay.events)).toEqual(['3', '4', '5']);
      expect(store.readAfter(['a'], '0').complete).toBe(false);
    });

    it('bounds each channel on its own', () => {
      const store = new InMemoryHubStore({ maxEvents: 2 });
      store.append(input('a')); // 1
      store.append(input('b')); // 2
      store.append(input('a')); // 3
      store.append(input('a')); // 4: drops 1 from a
      expect(store.size('a')).toBe(2);
      expect(store.size('b')).toBe(1);
      expect(store.size()).toBe(3);
      // Event 2 was on b: a resume after 2 on a lost nothing.
      expect(store.readAfter(['a'], '2')).toMatchObject({ complete: true });
      expect(ids(store.readAfter(['a', 'b'], '1').events)).toEqual(['2', '3', '4']);
      expect(store.readAfter(['a', 'b'], '1').complete).toBe(true);
      expect(store.readAfter(['a', 'b'], '0').complete).toBe(false);
    });

    it('counts an event on two channels in both', () => {
      const store = new InMemoryHubStore({ maxEvents: 2 });
      store.append(input(['a', 'b']));
      expect(store.size('a')).toBe(1);
      expect(store.size('b')).toBe(1);
      expect(store.size()).toBe(2);
      expect(store.channelCount).toBe(2);
    });

    it('stays correct over many appends (ring buffer compaction)', () => {
      const store = new InMemoryHubStore({ maxEvents: 100 });
      for (let i = 1; i <= 10_000; i++) store.append(input(i % 3 === 0 ? 'three' : 'other'));
      expect(store.size('three')).toBe(100);
      expect(store.size('other')).toBe(100);
      const three = ids(store.readAfter(['three'], '9600').events);
      expect(three).toEqual(Array.from({ length: 100 }, (_, i) => String(9702 + i * 3)));
      expect(store.readAfter(['three'], '9699').complete).toBe(true);
      expect(store.readAfter(['three'], '9698').complete).toBe(false);
      expect(ids(store.readAfter(['three'], '9990').events)).toEqual(['9993', '9996', '9999']);
    });

    it('maxEvents: 1 keeps only the newest event', () => {
      const store = new InMemoryHubStore({ maxEvents: 1 });
      store.append(input('a'));
      store.append(input('a'));
      expect(store.readAfter(['a'], '1')).toMatchObject({ complete: true });
      expect(ids(store.readAfter(['a'], '1').events)).toEqual(['2']);
      expect(store.readAfter(['a'], '0').complete).toBe(false);
    });
  });

  describe('no history', () => {
    it.each([
      ['history: false', false as const],
      ['maxEvents: 0', { maxEvents: 0 }],
    ])('%s keeps nothing and reports every resume incomplete', (_label, history) => {
      const store = new InMemoryHubStore(history);
      store.append(input('a'));
      store.append(input('a'));
      expect(store.size()).toBe(0);
      expect(store.channelCount).toBe(0);
      expect(store.readAfter(['a'], '1')).toEqual({ events: [], complete: false });
      expect(store.readAfter(['a'], '2')).toEqual({ events: [], complete: false });
      expect(store.readAfter(['other'], '2')).toEqual({ events: [], complete: false });
    });
  });

  describe('trimming by maxAgeMs', () => {
    it('drops events older than maxAgeMs when read', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('a')); // 1 at t0
      clock.advance(500);
      store.append(input('a')); // 2 at t0+500
      clock.advance(600); // t0+1100: event 1 is 1100 ms old
      const replay = store.readAfter(['a'], '0');
      expect(ids(replay.events)).toEqual(['2']);
      expect(replay.complete).toBe(false);
      expect(store.readAfter(['a'], '1')).toMatchObject({ complete: true });
    });

    it('keeps an event exactly maxAgeMs old', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('a'));
      clock.advance(1000);
      expect(store.readAfter(['a'], '0')).toMatchObject({ complete: true });
      expect(store.size('a')).toBe(1);
      clock.advance(1);
      expect(store.readAfter(['a'], '0')).toEqual({ events: [], complete: false });
    });

    it('drops expired events of a channel when it is appended to', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('a'));
      store.append(input('a'));
      clock.advance(800);
      store.append(input('b')); // keeps the whole store alive
      clock.advance(800);
      store.append(input('a')); // 1 and 2 are 1600 ms old
      expect(store.size('a')).toBe(1);
      expect(store.readAfter(['a'], '2')).toMatchObject({ complete: true });
      expect(store.readAfter(['a'], '1')).toMatchObject({ complete: false });
    });

    it('forgets a channel whose every event expired, and still reports what it lost (tombstone)', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('a')); // 1
      store.append(input('a')); // 2
      store.append(input('b')); // 3
      clock.advance(5000);
      store.append(input('c')); // 4: expires a and b entirely
      expect(store.channelCount).toBe(1);
      expect(store.size()).toBe(1);
      expect(store.readAfter(['a'], '1')).toEqual({ events: [], complete: false });
      expect(store.readAfter(['a'], '2')).toEqual({ events: [], complete: true });
      expect(store.readAfter(['b'], '2')).toEqual({ events: [], complete: false });
      expect(store.readAfter(['b'], '3')).toEqual({ events: [], complete: true });
    });

    it('a channel that comes back remembers what it lost before', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('a')); // 1
      store.append(input('a')); // 2
      clock.advance(5000);
      store.append(input('a')); // 3: a was forgotten, starts again
      expect(store.readAfter(['a'], '1')).toMatchObject({ complete: false });
      expect(ids(store.readAfter(['a'], '1').events)).toEqual(['3']);
      expect(store.readAfter(['a'], '2')).toMatchObject({ complete: true });
      expect(ids(store.readAfter(['a'], '2').events)).toEqual(['3']);
    });

    it('forgets idle channels on read as well as on append', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('a'));
      store.append(input('b'));
      clock.advance(2000);
      store.readAfter(['unrelated'], '0');
      expect(store.channelCount).toBe(0);
      expect(store.readAfter(['a'], '0').complete).toBe(false);
    });

    it('keeps a channel alive that was appended to recently, even if created long ago', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      store.append(input('old')); // 1
      store.append(input('fresh')); // 2
      clock.advance(900);
      store.append(input('old')); // 3: old is now the most recently appended
      clock.advance(900);
      store.append(input('other')); // 4: fresh (1800 ms) expires, old keeps event 3
      expect(store.size('fresh')).toBe(0);
      expect(ids(store.readAfter(['old'], '0').events)).toEqual(['3']);
      expect(store.readAfter(['fresh'], '1')).toEqual({ events: [], complete: false });
    });

    it('combines with maxEvents', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxEvents: 2, maxAgeMs: 1000 }, clock.now);
      for (let i = 0; i < 4; i++) {
        store.append(input('a'));
        clock.advance(400);
      }
      // t = 1600: events at 0, 400, 800, 1200; maxEvents keeps 3 and 4; age keeps 800 and later.
      expect(ids(store.readAfter(['a'], '0').events)).toEqual(['3', '4']);
      clock.advance(100); // t = 1700: event 3 (t=800) is 900 ms old
      expect(ids(store.readAfter(['a'], '2').events)).toEqual(['3', '4']);
      clock.advance(200); // t = 1900: event 3 is 1100 ms old
      expect(store.readAfter(['a'], '2')).toMatchObject({ complete: false });
      expect(ids(store.readAfter(['a'], '3').events)).toEqual(['4']);
    });

    it('folds the oldest tombstones into a watermark past 10,000 forgotten channels (a gap is reported, never a silent loss)', () => {
      const clock = manualClock();
      const store = new InMemoryHubStore({ maxAgeMs: 1000 }, clock.now);
      for (let i = 0; i < 10_001; i++) store.append(input(`ch${i}`)); // ids 1..10001
      clock.advance(2000);
      store.append(input('live')); // 10002: forgets every ch*
      expect(store.channelCount).toBe(1);
      // ch0 (id 1) was folded into the watermark (1): a resume after 1 is complete, before it not.
      expect(store.readAfter(['ch0'], '0').complete).toBe(false);
      expect(store.readAfter(['ch0'], '1').complete).toBe(true);
      // A channel never seen: its events (none) are after the watermark, so it is complete.
      expect(store.readAfter(['never'], '1').complete).toBe(true);
      // Spurious but safe: below the watermark, even a never-seen channel reports a gap.
      expect(store.readAfter(['never'], '0').complete).toBe(false);
      // ch10000 (id 10001) still has its own tombstone.
      expect(store.readAfter(['ch10000'], '10000').complete).toBe(false);
      expect(store.readAfter(['ch10000'], '10001').complete).toBe(true);
      // A channel that comes back after being folded starts out knowing it may have lost up to the watermark.
      store.append(input('ch0')); // 10003
      expect(store.readAfter(['ch0'], '0')).toMatchObject({ complete: false });
      expect(ids(store.readAfter(['ch0'], '1').events)).toEqual(['10003']);
      expect(store.readAfter(['ch0'], '1').complete).toBe(true);
    });
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
            const log: Array<{ seq: number; channels: string[]; at: number }> = [];
            for (const step of ops) {
              clock.advance(step.dt);
              if (step.kind === 'append') {
                const event = store.append(input(step.channels));
                log.push({ seq: Number(event.id), channels: step.channels, at: clock.now() });
                continue;
              }
              const after = Math.max(0, log.length - step.back);
              const replay = store.readAfter(step.channels, String(after));
              const cutoff = maxAgeMs === undefined ? -Infinity : clock.now() - maxAgeMs;
              // Held per channel: its newest maxEvents events, minus those older than maxAgeMs.
              const held = new Set<number>();
              let complete = true;
              for (const channel of new Set(step.channels)) {
                const onChannel = log.filter((e) => e.channels.includes(channel));
                const kept = onChannel.slice(-maxEvents).filter((e) => e.at >= cutoff);
                for (const e of kept) held.add(e.seq);
                if (onChannel.some((e) => e.seq > after && !kept.includes(e))) complete = false;
              }
              const expected = [...held].filter((seq) => seq > after).sort((x, y) => x - y);
              expect(replay.events.map((e) => Number(e.id))).toEqual(expected);
              expect(replay.complete).toBe(complete);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('options', () => {
    it.each([-1, 1.5, NaN, Infinity, '10'])('rejects maxEvents %p, naming it', (maxEvents) => {
      expect(() => new InMemoryHubStore({ maxEvents: maxEvents as number })).toThrow(SseOptionsError);
      expect(() => new InMemoryHubStore({ maxEvents: maxEvents as number })).toThrow(/history\.maxEvents/);
    });

    it.each([0, -1, NaN, '1000'])('rejects maxAgeMs %p, naming it', (maxAgeMs) => {
      expect(() => new InMemoryHubStore({ maxAgeMs: maxAgeMs as number })).toThrow(SseOptionsError);
      expect(() => new InMemoryHubStore({ maxAgeMs: maxAgeMs as number })).toThrow(/history\.maxAgeMs/);
    });

    it('accepts maxEvents: 0, fractional and infinite maxAgeMs', () => {
      expect(() => new InMemoryHubStore({ maxEvents: 0 })).not.toThrow();
      expect(() => new InMemoryHubStore({ maxAgeMs: 0.5 })).not.toThrow();
      expect(() => new InMemoryHubStore({ maxAgeMs: Infinity })).not.toThrow();
    });
  });

  describe('close', () => {
    it('drops all history', () => {
      const store = new InMemoryHubStore();
      store.append(input('a'));
      store.append(input('b'));
      store.close();
      expect(store.size()).toBe(0);
      expect(store.channelCount).toBe(0);
    });
  });
});
