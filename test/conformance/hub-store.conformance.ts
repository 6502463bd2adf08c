/**
 * What every SseHubStore does, whatever keeps the events: run it with a factory for each store
 * (in memory, Redis). One `describe` per interface; the factory gets the history bounds a test
 * needs and may be async.
 */
import fc from 'fast-check';
import type { HubEvent, HubEventInput, MaybePromise, SseHistoryOptions, SseHubStore } from '../../lib/index.js';
import { compareHubIds, parseHubId } from '../../lib/index.js';

export interface StoreUnderTest {
  store: SseHubStore;
  /** The store as a new process would open it (same backing storage, if it has one). */
  restart(): MaybePromise<SseHubStore>;
  /** Drops what the test left (keys, connections). */
  dispose(): MaybePromise<void>;
}

export type StoreFactory = (history?: SseHistoryOptions) => MaybePromise<StoreUnderTest>;

const input = (channels: string | string[], value: unknown = null, extra: Partial<HubEventInput> = {}): HubEventInput => ({
  channels: typeof channels === 'string' ? [channels] : channels,
  body: `data: ${JSON.stringify(value)}\n\n`,
  value,
  ...extra,
});

const ids = (events: readonly HubEvent[]) => events.map((e) => e.id);
const before = (a: string, b: string) => compareHubIds(parseHubId(a)!, parseHubId(b)!) < 0;

export function describeHubStore(name: string, factory: StoreFactory): void {
  describe(`SseHubStore conformance: ${name}`, () => {
    let subject: StoreUnderTest | undefined;
    const open = async (history?: SseHistoryOptions) => {
      subject = await factory(history);
      return subject.store;
    };
    afterEach(async () => {
      await subject?.dispose();
      subject = undefined;
    });

    it('assigns ids of the form <ms>-<seq>, strictly increasing across all channels', async () => {
      const store = await open();
      const assigned: string[] = [];
      for (const channels of [['a'], ['b'], ['a', 'b'], ['c'], ['a']]) assigned.push((await store.append(input(channels))).id);
      for (const id of assigned) expect(id).toMatch(/^\d+-\d+$/);
      for (let i = 1; i < assigned.length; i++) expect(before(assigned[i - 1]!, assigned[i]!)).toBe(true);
    });

    it('keeps ids increasing however appends interleave (property)', async () => {
      const store = await open({ maxEvents: 3 });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.subarray(['a', 'b', 'c'], { minLength: 1 }), { minLength: 1, maxLength: 40 }), async (lists) => {
          let previous: string | undefined;
          for (const channels of lists) {
            const { id } = await store.append(input(channels));
            if (previous !== undefined) expect(before(previous, id)).toBe(true);
            previous = id;
          }
        }),
        { numRuns: 20 },
      );
    });

    it('returns the event as one frame with its id line first, and keeps channels, value, meta and the end flag', async () => {
      const store = await open();
      const event = await store.append(input(['x', 'y'], { n: 1 }, { meta: { to: 'u1' } }));
      expect(event.frame.toString('utf8')).toBe(`id: ${event.id}\ndata: {"n":1}\n\n`);
      expect(event).toMatchObject({ channels: ['x', 'y'], value: { n: 1 }, meta: { to: 'u1' } });
      const last = await store.append(input('x', 'bye', { last: true }));
      const replay = await store.readAfter(['x'], event.id);
      expect(replay.events.map((e) => [e.id, e.last === true, e.value])).toEqual([[last.id, true, 'bye']]);
      expect(replay.events[0]!.frame.equals(last.frame)).toBe(true);
    });

    it('replays what follows an id, oldest first, complete; nothing after the newest', async () => {
      const store = await open();
      const all: HubEvent[] = [];
      for (let i = 0; i < 5; i++) all.push(await store.append(input('a', i)));
      const replay = await store.readAfter(['a'], all[1]!.id);
      expect(replay.complete).toBe(true);
      expect(ids(replay.events)).toEqual(ids(all.slice(2)));
      expect(replay.events.map((e) => e.value)).toEqual([2, 3, 4]);
      expect(await store.readAfter(['a'], all[4]!.id)).toEqual({ events: [], complete: true });
    });

    it('replays from the start with null, complete while nothing was trimmed', async () => {
      const store = await open();
      const first = await store.append(input('s', 1));
      const second = await store.append(input('s', 2));
      const replay = await store.readAfter(['s'], null);
      expect(replay.complete).toBe(true);
      expect(ids(replay.events)).toEqual([first.id, second.id]);
      expect(await store.readAfter(['never-used'], null)).toEqual({ events: [], complete: true });
    });

    it('reads only the channels asked for, each once, merged by id; an event on two channels once', async () => {
      const store = await open();
      const a1 = await store.append(input('a', 'a1'));
      const b2 = await store.append(input('b', 'b2'));
      const ab3 = await store.append(input(['a', 'b'], 'ab3'));
      const c4 = await store.append(input('c', 'c4'));
      const a5 = await store.append(input('a', 'a5'));
      expect(ids((await store.readAfter(['b', 'a', 'a'], a1.id)).events)).toEqual([b2.id, ab3.id, a5.id]);
      expect(ids((await store.readAfter(['c'], a1.id)).events)).toEqual([c4.id]);
      expect(await store.readAfter(['empty'], a1.id)).toEqual({ events: [], complete: true });
    });

    it('reports an id it does not know as incomplete, with everything held', async () => {
      const store = await open();
      const event = await store.append(input('u', 'x'));
      for (const unknown of ['', 'nope', '12', '-1-0', '1-2-3', `${Number.MAX_SAFE_INTEGER}1-0`]) {
        const replay = await store.readAfter(['u'], unknown);
        expect(replay.complete).toBe(false);
        expect(ids(replay.events)).toEqual([event.id]);
      }
    });

    it('never reuses an id across a restart, and a resume from an earlier lifetime never loses silently', async () => {
      const store = await open();
      const old = [await store.append(input('r', 1)), await store.append(input('r', 2)), await store.append(input('r', 3))];
      const restarted = await subject!.restart();
      const next = await restarted.append(input('r', 4));
      expect(before(old[2]!.id, next.id)).toBe(true);
      const replay = await restarted.readAfter(['r'], old[0]!.id);
      // Either the store still holds everything after the old id, or it says it does not.
      if (replay.complete) expect(ids(replay.events)).toEqual([old[1]!.id, old[2]!.id, next.id]);
      else expect(ids(replay.events)).toContain(next.id);
      await restarted.close?.();
    });

    it('keeps at most maxEvents per channel and says when events after the resume point were trimmed', async () => {
      const store = await open({ maxEvents: 3 });
      const all: HubEvent[] = [];
      for (let i = 0; i < 10; i++) all.push(await store.append(input('t', i)));
      await store.append(input('other', 'x'));
      const trimmed = await store.readAfter(['t'], all[2]!.id);
      expect(trimmed.complete).toBe(false);
      expect(ids(trimmed.events)).toEqual(ids(all.slice(7)));
      const fromTheLastTrimmed = await store.readAfter(['t'], all[6]!.id);
      expect(fromTheLastTrimmed.complete).toBe(true);
      expect(ids(fromTheLastTrimmed.events)).toEqual(ids(all.slice(7)));
      expect((await store.readAfter(['t'], null)).complete).toBe(false);
      expect(ids((await store.readAfter(['other'], null)).events)).toHaveLength(1);
    });

    it("takes an append's maxEvents over the default for its channel", async () => {
      const store = await open({ maxEvents: 2 });
      const all: HubEvent[] = [];
      for (let i = 0; i < 6; i++) all.push(await store.append(input('long', i, { maxEvents: 5 })));
      const replay = await store.readAfter(['long'], null);
      expect(replay.complete).toBe(false);
      expect(ids(replay.events)).toEqual(ids(all.slice(1)));
    });

    it('past maxChannels forgets the least recently appended channel; a resume from before it, even once it is back, reports the gap', async () => {
      const store = await open({ maxChannels: 2 });
      const a1 = await store.append(input('a', 1));
      const a2 = await store.append(input('a', 2));
      await store.append(input('b', 1));
      await store.append(input('c', 1));
      const gone = await store.readAfter(['a'], a1.id);
      expect(gone.complete).toBe(false);
      expect(gone.events).toEqual([]);
      // It reached the client that has a2: nothing was lost for it.
      expect((await store.readAfter(['a'], a2.id)).complete).toBe(true);
      const back = await store.append(input('a', 3));
      const replay = await store.readAfter(['a'], a1.id);
      expect(replay.complete).toBe(false);
      expect(ids(replay.events)).toEqual([back.id]);
      expect(await store.readAfter(['a'], a2.id)).toMatchObject({ complete: true });
    });

    it('never forgets the channel being appended to for maxChannels', async () => {
      const store = await open({ maxChannels: 1 });
      await store.append(input('first', 1));
      const kept = await store.append(input('second', 2));
      expect(ids((await store.readAfter(['second'], null)).events)).toEqual([kept.id]);
      expect((await store.readAfter(['first'], null)).events).toEqual([]);
    });

    it('forgets a channel idle for idleChannelMs, with the gap reported', async () => {
      const store = await open({ idleChannelMs: 50 });
      const first = await store.append(input('idle', 1));
      await store.append(input('idle', 2));
      await new Promise((resolve) => setTimeout(resolve, 80));
      await store.append(input('busy', 1));
      const replay = await store.readAfter(['idle'], first.id);
      expect(replay).toEqual({ events: [], complete: false });
    });

    it('forget() drops a channel without a trace, and only that channel', async () => {
      const store = await open({ maxEvents: 2 });
      for (let i = 0; i < 5; i++) await store.append(input('gone', i));
      const kept = await store.append(input('kept', 'k'));
      await store.forget('gone');
      expect(await store.readAfter(['gone'], null)).toEqual({ events: [], complete: true });
      expect(ids((await store.readAfter(['kept'], null)).events)).toEqual([kept.id]);
    });
  });
}
