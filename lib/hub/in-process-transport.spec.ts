import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { InProcessTransport } from './in-process-transport.js';
import type { HubEvent } from './sse-hub-store.js';

const event = (id: string, channel = 'a'): HubEvent => ({
  id,
  channels: [channel],
  frame: Buffer.from(`id: ${id}\ndata: ${id}\n\n`),
  value: id,
});

describe('InProcessTransport', () => {
  it('delivers every publish to every listener, synchronously and in order', () => {
    const transport = new InProcessTransport();
    const first: string[] = [];
    const second: string[] = [];
    transport.subscribe((e) => first.push(e.id));
    transport.subscribe((e) => second.push(e.id));
    transport.publish(event('1'));
    transport.publish(event('2', 'b'));
    expect(first).toEqual(['1', '2']);
    expect(second).toEqual(['1', '2']);
  });

  it('hands listeners the published event object itself', () => {
    const transport = new InProcessTransport();
    const received: HubEvent[] = [];
    transport.subscribe((e) => received.push(e));
    const published = event('1');
    transport.publish(published);
    expect(received[0]).toBe(published);
  });

  it('returns nothing from publish (no promise to await)', () => {
    const transport = new InProcessTransport();
    expect(transport.publish(event('1'))).toBeUndefined();
  });

  it('publishes to no one without listeners', () => {
    const transport = new InProcessTransport();
    expect(() => transport.publish(event('1'))).not.toThrow();
    expect(transport.listenerCount).toBe(0);
  });

  it('counts listeners', () => {
    const transport = new InProcessTransport();
    const off1 = transport.subscribe(() => undefined);
    transport.subscribe(() => undefined);
    expect(transport.listenerCount).toBe(2);
    off1();
    expect(transport.listenerCount).toBe(1);
  });

  describe('unsubscribe', () => {
    it('stops delivery', () => {
      const transport = new InProcessTransport();
      const received: string[] = [];
      const off = transport.subscribe((e) => received.push(e.id));
      transport.publish(event('1'));
      off();
      transport.publish(event('2'));
      expect(received).toEqual(['1']);
    });

    it('is idempotent and does not touch other subscriptions', () => {
      const transport = new InProcessTransport();
      const received: string[] = [];
      const off = transport.subscribe(() => undefined);
      transport.subscribe((e) => received.push(e.id));
      off();
      off();
      off();
      expect(transport.listenerCount).toBe(1);
      transport.publish(event('1'));
      expect(received).toEqual(['1']);
    });

    it('treats the same function subscribed twice as two subscriptions', () => {
      const transport = new InProcessTransport();
      const received: string[] = [];
      const listener = (e: HubEvent) => received.push(e.id);
      const off1 = transport.subscribe(listener);
      const off2 = transport.subscribe(listener);
      transport.publish(event('1'));
      expect(received).toEqual(['1', '1']);
      off1();
      off1();
      transport.publish(event('2'));
      expect(received).toEqual(['1', '1', '2']);
      off2();
      transport.publish(event('3'));
      expect(received).toEqual(['1', '1', '2']);
      expect(transport.listenerCount).toBe(0);
    });

    it('after close is harmless', () => {
      const transport = new InProcessTransport();
      const off = transport.subscribe(() => undefined);
      transport.close();
      expect(() => off()).not.toThrow();
      expect(transport.listenerCount).toBe(0);
    });
  });

  describe('listener errors', () => {
    it('are isolated: the other listeners still receive the event, and publish does not throw', () => {
      const errors: unknown[] = [];
      const transport = new InProcessTransport((error) => errors.push(error));
      const received: string[] = [];
      const failure = new Error('listener failed');
      transport.subscribe((e) => received.push(`before:${e.id}`));
      transport.subscribe(() => {
        throw failure;
      });
      transport.subscribe((e) => received.push(`after:${e.id}`));
      expect(() => transport.publish(event('1'))).not.toThrow();
      expect(received).toEqual(['before:1', 'after:1']);
      expect(errors).toEqual([failure]);
    });

    it('are reported once per failing listener per event', () => {
      const errors: unknown[] = [];
      const transport = new InProcessTransport((error) => errors.push(error));
      transport.subscribe(() => {
        throw new Error('a');
      });
      transport.subscribe(() => {
        throw 'b';
      });
      transport.publish(event('1'));
      transport.publish(event('2'));
      expect(errors.map((e) => (e instanceof Error ? e.message : e))).toEqual(['a', 'b', 'a', 'b']);
    });

    it('do not unsubscribe the failing listener', () => {
      const transport = new InProcessTransport(() => undefined);
      let calls = 0;
      transport.subscribe(() => {
        calls++;
        throw new Error('x');
      });
      transport.publish(event('1'));
      transport.publish(event('2'));
      expect(calls).toBe(2);
    });

    it('are logged by default through the Nest logger', () => {
      const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const transport = new InProcessTransport();
        const received: string[] = [];
        transport.subscribe(() => {
          throw new Error('logged failure');
        });
        transport.subscribe(() => {
          throw 'not an error';
        });
        transport.subscribe((e) => received.push(e.id));
        transport.publish(event('1'));
        expect(received).toEqual(['1']);
        expect(spy).toHaveBeenCalledTimes(2);
        expect(spy.mock.calls[0][0]).toBe('A hub listener threw: logged failure');
        expect(spy.mock.calls[0][1]).toEqual(expect.stringContaining('logged failure'));
        expect(spy.mock.calls[1][0]).toBe('A hub listener threw: not an error');
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('snapshot semantics during a publish', () => {
    it('a listener added while an event is delivered does not receive that event, but the next one', () => {
      const transport = new InProcessTransport();
      const late: string[] = [];
      let added = false;
      transport.subscribe(() => {
        if (added) return;
        added = true;
        transport.subscribe((e) => late.push(e.id));
      });
      transport.publish(event('1'));
      expect(late).toEqual([]);
      transport.publish(event('2'));
      expect(late).toEqual(['2']);
    });

    it('a listener removed by an earlier one during delivery does not receive the event', () => {
      const transport = new InProcessTransport();
      const received: string[] = [];
      let offSecond: () => void = () => undefined;
      transport.subscribe(() => offSecond());
      offSecond = transport.subscribe((e) => received.push(e.id));
      transport.publish(event('1'));
      expect(received).toEqual([]);
      expect(transport.listenerCount).toBe(1);
    });

    it('a listener that unsubscribes itself still got the event, and no later one', () => {
      const transport = new InProcessTransport();
      const received: string[] = [];
      const others: string[] = [];
      const off: () => void = transport.subscribe((e) => {
        received.push(e.id);
        off();
      });
      transport.subscribe((e) => others.push(e.id));
      transport.publish(event('1'));
      transport.publish(event('2'));
      expect(received).toEqual(['1']);
      expect(others).toEqual(['1', '2']);
    });

    it('a publish from inside a listener is delivered to everyone, nested', () => {
      const transport = new InProcessTransport();
      const log: string[] = [];
      transport.subscribe((e) => {
        log.push(`A${e.id}`);
        if (e.id === '1') transport.publish(event('2'));
      });
      transport.subscribe((e) => log.push(`B${e.id}`));
      transport.publish(event('1'));
      expect(log).toEqual(['A1', 'A2', 'B2', 'B1']);
    });

    it('close during delivery stops the rest of that delivery', () => {
      const transport = new InProcessTransport();
      const received: string[] = [];
      transport.subscribe(() => transport.close());
      transport.subscribe((e) => received.push(e.id));
      transport.publish(event('1'));
      expect(received).toEqual([]);
      expect(transport.listenerCount).toBe(0);
    });
  });

  it('close removes every listener', () => {
    const transport = new InProcessTransport();
    const received: string[] = [];
    transport.subscribe((e) => received.push(e.id));
    transport.subscribe((e) => received.push(e.id));
    transport.close();
    transport.publish(event('1'));
    expect(received).toEqual([]);
    expect(transport.listenerCount).toBe(0);
  });
});
