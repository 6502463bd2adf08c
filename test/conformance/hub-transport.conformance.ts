/**
 * What every SseHubTransport does (in process, Redis): every publish reaches every listener, in
 * order, with its fields intact. The factory returns transports that share one backbone: two of
 * them stand for two app instances.
 */
import type { HubEvent, MaybePromise, SseHubTransport } from '../../lib/index.js';
import { until } from '../support/until.js';

export interface TransportsUnderTest {
  /** A transport on the shared backbone (for another instance: call it again). */
  create(): MaybePromise<SseHubTransport>;
  dispose(): MaybePromise<void>;
}

const event = (n: number, channel = 'c', extra: Partial<HubEvent> = {}): HubEvent => ({
  id: `${1_800_000_000_000 + n}-0`,
  channels: [channel],
  frame: Buffer.from(`id: ${1_800_000_000_000 + n}-0\ndata: ${n}\n\n`),
  value: { n },
  ...extra,
});

export function describeHubTransport(name: string, factory: () => MaybePromise<TransportsUnderTest>): void {
  describe(`SseHubTransport conformance: ${name}`, () => {
    let subject: TransportsUnderTest | undefined;
    afterEach(async () => {
      await subject?.dispose();
      subject = undefined;
    });

    async function twoInstances(channel: string) {
      subject = await factory();
      const a = await subject.create();
      const b = await subject.create();
      const seen = { a: [] as HubEvent[], b: [] as HubEvent[] };
      a.subscribe((e) => seen.a.push(e));
      b.subscribe((e) => seen.b.push(e));
      await a.watch?.(channel);
      await b.watch?.(channel);
      return { a, b, seen };
    }

    it('delivers a publish to the listeners of every instance, the publishing one included', async () => {
      const { a, seen } = await twoInstances('c');
      await a.publish(event(1));
      await until(() => seen.a.length === 1 && seen.b.length === 1, 5000, 'both instances');
      expect(seen.b[0]!.id).toBe(event(1).id);
    });

    it('keeps the order of publishes', async () => {
      const { a, seen } = await twoInstances('c');
      for (let n = 1; n <= 50; n++) await a.publish(event(n));
      await until(() => seen.b.length === 50, 5000, '50 events');
      expect(seen.b.map((e) => (e.value as { n: number }).n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('keeps every field: id, channels, frame bytes, value, meta, the end flag; an unstored event has no id', async () => {
      const { a, seen } = await twoInstances('c');
      const full = event(7, 'c', {
        channels: ['c', 'd'],
        meta: { to: 'u1' },
        last: true,
        frame: Buffer.from('id: 1800000000007-0\ndata: é😀\n\n'),
      });
      const presence: HubEvent = {
        id: '',
        channels: ['c'],
        frame: Buffer.from('event: join\ndata: {"user":"ann"}\n\n'),
        value: { user: 'ann' },
      };
      await a.publish(full);
      await a.publish(presence);
      await until(() => seen.b.length === 2, 5000, 'two events');
      const [got, join] = seen.b as [HubEvent, HubEvent];
      expect(got.id).toBe(full.id);
      expect(got.channels).toEqual(['c', 'd']);
      expect(got.frame.equals(full.frame)).toBe(true);
      expect(got.value).toEqual({ n: 7 });
      expect(got.meta).toEqual({ to: 'u1' });
      expect(got.last).toBe(true);
      expect(join.id).toBe('');
      expect(join.frame.toString()).toBe('event: join\ndata: {"user":"ann"}\n\n');
    });

    it('stops delivering to a listener that unsubscribed', async () => {
      subject = await factory();
      const a = await subject.create();
      const got: HubEvent[] = [];
      const stop = a.subscribe((e) => got.push(e));
      await a.watch?.('c');
      await a.publish(event(1));
      await until(() => got.length === 1, 5000, 'the first event');
      stop();
      stop();
      const other: HubEvent[] = [];
      a.subscribe((e) => other.push(e));
      await a.publish(event(2));
      await until(() => other.length >= 1, 5000, 'the second event elsewhere');
      expect(got).toHaveLength(1);
    });

    it('takes watch/unwatch hints without failing, and closes', async () => {
      subject = await factory();
      const a = await subject.create();
      await a.watch?.('x');
      await a.watch?.('x');
      await a.unwatch?.('x');
      await a.unwatch?.('never-watched');
      await a.close?.();
    });
  });
}
