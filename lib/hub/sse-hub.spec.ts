import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { firstValueFrom, take, toArray, type Observable, type Subscription } from 'rxjs';
import { SseOptionsError, SseSerializationError } from '../errors.js';
import { EncodedFrame } from '../wire/encoded-frame.js';
import { SseEvent } from '../wire/sse-event.js';
import { compareHubIds, parseHubId } from './hub-id.js';
import { InMemoryHubStore } from './in-memory-hub-store.js';
import { SSE_GAP_EVENT, SSE_JOIN_EVENT, SSE_LEAVE_EVENT, SseHub } from './sse-hub.js';
import type { HubEvent, HubEventInput, HubReplay, SseHubStore } from './sse-hub-store.js';
import type { SseHubTransport } from './sse-hub-transport.js';

/** Collects the frames of a subscription, parsed as a client would. */
function collect(source: Observable<EncodedFrame>): { events: EventSourceMessage[]; frames: EncodedFrame[]; sub: Subscription } {
  const events: EventSourceMessage[] = [];
  const frames: EncodedFrame[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const sub = source.subscribe((frame) => {
    frames.push(frame);
    parser.feed(frame.bytes.toString('utf8'));
  });
  return { events, frames, sub };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A store whose reads resolve later, so publishes race the replay on purpose. */
class SlowReadStore implements SseHubStore {
  readonly inner = new InMemoryHubStore({ maxEvents: 100 });
  gate: Promise<void> = Promise.resolve();
  append(event: HubEventInput): HubEvent {
    return this.inner.append(event);
  }
  async readAfter(channels: readonly string[], lastEventId: string | null): Promise<HubReplay> {
    const replay = this.inner.readAfter(channels, lastEventId);
    await this.gate;
    return replay;
  }
  forget(channel: string): void {
    this.inner.forget(channel);
  }
}

/** A transport that delivers on a later turn, like a network one: a stored event can reach a subscriber after its replay did. */
class LateTransport implements SseHubTransport {
  private readonly listeners = new Set<(event: HubEvent) => void>();
  publish(event: HubEvent): Promise<void> {
    return new Promise((resolve) =>
      setImmediate(() => {
        for (const listener of this.listeners) listener(event);
        resolve();
      }),
    );
  }
  subscribe(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

describe('SseHub', () => {
  let hub: SseHub;
  afterEach(async () => {
    await hub?.close();
  });

  it('assigns monotonic ids and delivers each event as one frame with that id', async () => {
    hub = new SseHub();
    const { events, sub } = collect(hub.subscribe('room'));
    const ids = [
      await hub.publish('room', 'a'),
      await hub.publish('room', { n: 2 }),
      await hub.publish('room', new SseEvent({ event: 'x', data: 3 })),
    ];
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort((a, b) => compareHubIds(parseHubId(a)!, parseHubId(b)!))).toEqual(ids);
    expect(events).toEqual([
      { id: ids[0], event: undefined, data: 'a' },
      { id: ids[1], event: undefined, data: '{"n":2}' },
      { id: ids[2], event: 'x', data: '3' },
    ]);
    sub.unsubscribe();
  });

  it("replaces an id inside a published envelope with the hub's, and keeps a plain object's own id field as data", async () => {
    hub = new SseHub();
    const { events, sub } = collect(hub.subscribe('c'));
    const ids = [
      await hub.publish('c', { event: 'e', id: 'mine', data: 'x' }),
      await hub.publish('c', new SseEvent({ id: 'mine', data: 'y' })),
      await hub.publish('c', { id: 7, name: 'n' }),
    ];
    expect(events.map((e) => [e.id, e.event, e.data])).toEqual([
      [ids[0], 'e', 'x'],
      [ids[1], undefined, 'y'],
      [ids[2], undefined, '{"id":7,"name":"n"}'],
    ]);
    sub.unsubscribe();
  });

  it('serializes a published value once and hands every subscriber the same bytes', async () => {
    let calls = 0;
    hub = new SseHub({ serializer: (value) => (calls++, JSON.stringify(value)) });
    const subs = Array.from({ length: 50 }, () => collect(hub.subscribe('fan')));
    await hub.publish('fan', { big: 'x'.repeat(1000) });
    expect(calls).toBe(1);
    const buffers = new Set(subs.map((s) => s.frames[0].bytes));
    expect(buffers.size).toBe(1);
    for (const s of subs) s.sub.unsubscribe();
  });

  it('publishes to several channels; a subscriber of several gets each event once, in order', async () => {
    hub = new SseHub();
    const both = collect(hub.subscribe(['a', 'b']));
    const onlyB = collect(hub.subscribe('b'));
    await hub.publish(['a', 'b'], 'ab');
    await hub.publish('a', 'a');
    await hub.publish('b', 'b');
    expect(both.events.map((e) => e.data)).toEqual(['ab', 'a', 'b']);
    expect(onlyB.events.map((e) => e.data)).toEqual(['ab', 'b']);
    both.sub.unsubscribe();
    onlyB.sub.unsubscribe();
  });

  it('resumes after a Last-Event-ID with everything held after it, then live events', async () => {
    hub = new SseHub();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await hub.publish('r', `m${i}`));
    const { events, sub } = collect(hub.subscribe('r', { lastEventId: ids[2] }));
    ids.push(await hub.publish('r', 'm6'));
    expect(events.map((e) => [e.id, e.data])).toEqual([
      [ids[3], 'm4'],
      [ids[4], 'm5'],
      [ids[5], 'm6'],
    ]);
    sub.unsubscribe();
  });

  it('resumes across channels with one Last-Event-ID, merged in id order', async () => {
    hub = new SseHub();
    const first = await hub.publish('a', 'a1');
    await hub.publish('b', 'b2');
    await hub.publish('a', 'a3');
    await hub.publish('b', 'b4');
    const { events, sub } = collect(hub.subscribe(['b', 'a'], { lastEventId: first }));
    expect(events.map((e) => e.data)).toEqual(['b2', 'a3', 'b4']);
    sub.unsubscribe();
  });

  it('sends a gap event first when the id was trimmed, then what is held', async () => {
    hub = new SseHub({ history: { maxEvents: 3 } });
    const ids: string[] = [];
    for (let i = 1; i <= 10; i++) ids.push(await hub.publish('r', i));
    const { events, frames, sub } = collect(hub.subscribe('r', { lastEventId: ids[1] }));
    expect(events[0].event).toBe(SSE_GAP_EVENT);
    expect(events[0].id).toBeUndefined();
    expect(JSON.parse(events[0].data)).toEqual({ lastEventId: ids[1], channels: ['r'] });
    expect(frames[0].value).toEqual({ lastEventId: ids[1], channels: ['r'] });
    expect(events.slice(1).map((e) => e.data)).toEqual(['8', '9', '10']);
    sub.unsubscribe();
  });

  it('sends a gap event for an id it never assigned, and none when nothing was missed', async () => {
    hub = new SseHub();
    const id = await hub.publish('r', 'x');
    const unknown = collect(hub.subscribe('r', { lastEventId: 'from-another-server' }));
    expect(unknown.events.map((e) => e.event ?? e.data)).toEqual([SSE_GAP_EVENT, 'x']);
    // An id of an earlier process lifetime (the clock was earlier then) is unknown too.
    const beforeRestart = collect(hub.subscribe('r', { lastEventId: `${Date.now() - 60_000}-3` }));
    expect(beforeRestart.events.map((e) => e.event ?? e.data)).toEqual([SSE_GAP_EVENT, 'x']);
    beforeRestart.sub.unsubscribe();
    const upToDate = collect(hub.subscribe('r', { lastEventId: id }));
    expect(upToDate.events).toEqual([]);
    unknown.sub.unsubscribe();
    upToDate.sub.unsubscribe();
  });

  it('loses and doubles nothing when publishes race a slow replay and a late transport', async () => {
    const store = new SlowReadStore();
    hub = new SseHub({ store, transport: new LateTransport() });
    const ids: string[] = [];
    for (let i = 1; i <= 20; i++) ids.push(await hub.publish('r', i));
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    // Published but not yet delivered when the replay snapshot is taken: in the replay and, later, live.
    const inFlight = [hub.publish('r', 21), hub.publish('r', 22)];
    const { events, sub } = collect(hub.subscribe('r', { lastEventId: ids[9] }));
    // Published while the replay is read: these wait in the subscriber's buffer.
    const during = [hub.publish('r', 23), hub.publish('r', 24)];
    await tick();
    await Promise.all([...inFlight, ...during]);
    open();
    await tick();
    await hub.publish('r', 25);
    await tick();
    expect(events.map((e) => Number(e.data))).toEqual(Array.from({ length: 15 }, (_, i) => 11 + i));
    const seen = events.map((e) => parseHubId(e.id!)!);
    for (let i = 1; i < seen.length; i++) expect(compareHubIds(seen[i - 1]!, seen[i]!)).toBeLessThan(0);
    sub.unsubscribe();
  });

  it('filters per subscriber on the value and the publisher meta (private events without a channel per user)', async () => {
    hub = new SseHub();
    const forAlice = (e: { meta: unknown }) => {
      const to = (e.meta as { to?: string } | undefined)?.to;
      return to === undefined || to === 'alice';
    };
    const alice = collect(hub.subscribe('room', { filter: forAlice }));
    const bob = collect(hub.subscribe('room', { filter: (e) => (e.meta as { to?: string } | undefined)?.to !== 'alice' }));
    await hub.publish('room', 'public');
    await hub.publish('room', 'secret', { meta: { to: 'alice' } });
    expect(alice.events.map((e) => e.data)).toEqual(['public', 'secret']);
    expect(bob.events.map((e) => e.data)).toEqual(['public']);
    // The filter applies to the replay too.
    const bobLater = collect(
      hub.subscribe('room', {
        lastEventId: `${Date.now() + 60_000}-0`,
        filter: (e) => (e.meta as { to?: string } | undefined)?.to !== 'alice',
      }),
    );
    // An id it never assigned: the gap notice, then everything held, filtered.
    expect(bobLater.events.map((e) => e.event ?? e.data)).toEqual([SSE_GAP_EVENT, 'public']);
    for (const s of [alice, bob, bobLater]) s.sub.unsubscribe();
  });

  it('ends a subscription whose filter throws, with that error', async () => {
    hub = new SseHub();
    const failure = new Error('filter bug');
    const seen = firstValueFrom(
      hub.subscribe('r', {
        filter: () => {
          throw failure;
        },
      }),
    ).catch((err: unknown) => err);
    await hub.publish('r', 1);
    await expect(seen).resolves.toBe(failure);
  });

  it('counts connections per channel and in total, and drops them on unsubscribe', async () => {
    hub = new SseHub();
    const a = hub.subscribe('a').subscribe();
    const ab = hub.subscribe(['a', 'b']).subscribe();
    expect([hub.connections(), hub.connections('a'), hub.connections('b'), hub.connections('c')]).toEqual([2, 2, 1, 0]);
    expect(hub.channels().sort()).toEqual(['a', 'b']);
    a.unsubscribe();
    ab.unsubscribe();
    expect([hub.connections(), hub.connections('a'), hub.channels()]).toEqual([0, 0, []]);
  });

  it('tells the transport which channels have subscribers', async () => {
    const watched: string[] = [];
    const base = new LateTransport();
    const transport: SseHubTransport = {
      publish: (e) => base.publish(e),
      subscribe: (l) => base.subscribe(l),
      watch: (c) => void watched.push(`+${c}`),
      unwatch: (c) => void watched.push(`-${c}`),
    };
    hub = new SseHub({ transport });
    const s1 = hub.subscribe('a').subscribe();
    const s2 = hub.subscribe(['a', 'b']).subscribe();
    s1.unsubscribe();
    s2.unsubscribe();
    expect(watched).toEqual(['+a', '+b', '-a', '-b']);
  });

  it('announces join and leave with the presence data, without ids, and stores neither', async () => {
    const store = new InMemoryHubStore();
    hub = new SseHub({ store });
    const watcher = collect(hub.subscribe('room'));
    const member = hub.subscribe('room', { presence: { user: 'ann' } }).subscribe();
    await tick();
    member.unsubscribe();
    await tick();
    expect(watcher.events.map((e) => [e.event, e.data, e.id])).toEqual([
      [SSE_JOIN_EVENT, '{"user":"ann"}', undefined],
      [SSE_LEAVE_EVENT, '{"user":"ann"}', undefined],
    ]);
    // Presence is news of the moment, not history: merely subscribing allocates no history.
    expect(store.size()).toBe(0);
    expect(store.channelCount).toBe(0);
    watcher.sub.unsubscribe();
  });

  it('keeps a roster by presence key: three tabs of one user count once, join on the first, leave on the last', async () => {
    hub = new SseHub();
    const watcher = collect(hub.subscribe('room'));
    const tabs = [1, 2, 3].map(() => hub.subscribe('room', { presence: { name: 'Bob' }, presenceKey: 'u-bob' }).subscribe());
    const ann = hub.subscribe('room', { presence: { name: 'Ann' }, presenceKey: 'u-ann' }).subscribe();
    await tick();
    expect(await hub.roster('room')).toEqual([
      { key: 'u-bob', data: { name: 'Bob' }, connections: 3 },
      { key: 'u-ann', data: { name: 'Ann' }, connections: 1 },
    ]);
    tabs[0]!.unsubscribe();
    tabs[1]!.unsubscribe();
    expect((await hub.roster('room')).map((m) => [m.key, m.connections])).toEqual([
      ['u-bob', 1],
      ['u-ann', 1],
    ]);
    tabs[2]!.unsubscribe();
    ann.unsubscribe();
    expect(await hub.roster('room')).toEqual([]);
    expect(watcher.events.map((e) => [e.event, JSON.parse(e.data).name])).toEqual([
      [SSE_JOIN_EVENT, 'Bob'],
      [SSE_JOIN_EVENT, 'Ann'],
      [SSE_LEAVE_EVENT, 'Bob'],
      [SSE_LEAVE_EVENT, 'Ann'],
    ]);
    watcher.sub.unsubscribe();
  });

  it('counts presence by its data when no key is given', async () => {
    hub = new SseHub();
    const a = hub.subscribe('room', { presence: { user: 'bob' } }).subscribe();
    const b = hub.subscribe('room', { presence: { user: 'bob' } }).subscribe();
    await tick();
    expect(await hub.roster('room')).toEqual([{ key: '{"user":"bob"}', data: { user: 'bob' }, connections: 2 }]);
    a.unsubscribe();
    b.unsubscribe();
  });

  it('rejects bad input with clear errors and publishes nothing', async () => {
    hub = new SseHub();
    const { events, sub } = collect(hub.subscribe('r'));
    await expect(hub.publish('', 'x')).rejects.toThrow(/channels must be a non-empty string/);
    await expect(hub.publish([], 'x')).rejects.toThrow(/channels must be/);
    await expect(hub.publish('r', undefined)).rejects.toBeInstanceOf(SseSerializationError);
    await expect(hub.publish('r', { event: 'bad\nname', data: 1 })).rejects.toThrow(/event/);
    await expect(hub.publish('r', () => 1)).rejects.toBeInstanceOf(SseSerializationError);
    expect(() => hub.subscribe([])).toThrow(/channels must be/);
    expect(() => new SseHub({ history: { maxEvents: 5 }, store: new InMemoryHubStore() })).toThrow(SseOptionsError);
    expect(events).toEqual([]);
    expect(await hub.publish('r', 'ok')).toMatch(/^\d+-0$/);
    expect(events.map((e) => e.data)).toEqual(['ok']);
    sub.unsubscribe();
  });

  it('close() completes every subscription and refuses new publishes', async () => {
    hub = new SseHub();
    const done = firstValueFrom(hub.subscribe('r').pipe(take(5), toArray()));
    await hub.publish('r', 1);
    await hub.close();
    await expect(done).resolves.toHaveLength(1);
    expect(hub.connections()).toBe(0);
    await expect(hub.publish('r', 2)).rejects.toThrow(/after the hub closed/);
  });

  it('keeps memory flat over 1,000,000 publishes to a channel with history 1,000', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = new InMemoryHubStore({ maxEvents: 1000 });
    hub = new SseHub({ store });
    const sub = hub.subscribe('busy').subscribe();
    const publishMany = async (count: number) => {
      for (let i = 0; i < count; i++) void hub.publish('busy', { i, text: 'hello world' });
      await tick();
    };
    await publishMany(100_000);
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let round = 0; round < 9; round++) await publishMany(100_000);
    gc();
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    expect(store.size('busy')).toBe(1000);
    // 900,000 more events held would take well over 150 MB; a bounded history grows by a few MB
    // at most (JIT code and allocator noise, which is why the bound is not tighter).
    expect(growth).toBeLessThan(32 * 1024 * 1024);
    const ids = [await hub.publish('busy', 'one more'), await hub.publish('busy', 'and the last')];
    const last = collect(hub.subscribe('busy', { lastEventId: ids[0] }));
    expect(last.events.map((e) => e.id)).toEqual([ids[1]]);
    last.sub.unsubscribe();
    sub.unsubscribe();
  }, 60_000);

  it('delivers in id order to everyone when a subscriber fails or leaves during a delivery (nested publishes wait their turn)', async () => {
    hub = new SseHub();
    const order: Array<Array<string>> = [[], [], []];
    const record = (n: number) => (frame: EncodedFrame) => order[n]!.push(frame.id ?? `(${frame.bytes.toString().split('\n')[0]})`);
    hub.subscribe('room').subscribe(record(0));
    // Fails on the second event: its leave is announced from inside that delivery.
    hub
      .subscribe('room', {
        presence: { user: 'flaky' },
        filter: ({ value }) =>
          value !== 2 ||
          (() => {
            throw new Error('bug');
          })(),
      })
      .subscribe({ error: () => undefined });
    hub.subscribe('room').subscribe(record(1));
    hub.subscribe('room').subscribe(record(2));
    await tick();
    const ids = [await hub.publish('room', 1), await hub.publish('room', 2), await hub.publish('room', 3)];
    // 1, 2, then the leave (no id), then 3: never the leave before 2. (Only the first saw the join.)
    expect(order[0]).toEqual(['(event: join)', ids[0], ids[1], '(event: leave)', ids[2]]);
    for (const seen of order.slice(1)) expect(seen).toEqual([ids[0], ids[1], '(event: leave)', ids[2]]);
  });

  it('keeps memory flat over 10,000 short resumable streams', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = new InMemoryHubStore();
    hub = new SseHub({ store, resumable: { maxStreams: 100 } });
    const run = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        const done = firstValueFrom(
          hub
            .startStream(`answer-${i}`, async function* () {
              for (let t = 0; t < 20; t++) yield { event: 'token', data: `token ${t} of answer ${i}` };
            })
            .pipe(toArray()),
        );
        await done;
      }
    };
    await run(0, 2000);
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    await run(2000, 8000);
    gc();
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    // At most 100 recordings held (maxStreams), whatever the number of streams started.
    expect(store.channelCount).toBeLessThanOrEqual(100);
    expect(growth).toBeLessThan(8 * 1024 * 1024);
    expect(await hub.resumeStream('answer-0')).toBeNull();
    expect(await hub.resumeStream('answer-9999')).not.toBeNull();
  }, 60_000);
});
