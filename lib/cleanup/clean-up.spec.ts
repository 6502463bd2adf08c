import { jest } from '@jest/globals';
import { CleanUp, type CleanUpErrorSink, type SseEndReason } from './clean-up.js';

interface LoggedError {
  message: string;
  stack?: string;
}

function recordingSink(): CleanUpErrorSink & { logged: LoggedError[] } {
  const logged: LoggedError[] = [];
  return { logged, error: (message, stack) => logged.push({ message, stack }) };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('CleanUp', () => {
  it('is open until run: signal not aborted, no reason', () => {
    const cleanUp = new CleanUp(recordingSink());
    expect(cleanUp.ended).toBe(false);
    expect(cleanUp.reason).toBeUndefined();
    expect(cleanUp.signal.aborted).toBe(false);
  });

  it('runs nothing before the end', async () => {
    const calls: string[] = [];
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(() => calls.push('a'));
    await tick();
    expect(calls).toEqual([]);
  });

  it('runs functions last-added first', async () => {
    const calls: string[] = [];
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(() => calls.push('a'));
    cleanUp.add(() => calls.push('b'));
    cleanUp.add(() => calls.push('c'));
    await cleanUp.run('complete');
    expect(calls).toEqual(['c', 'b', 'a']);
  });

  it('runs sync functions before run() returns', () => {
    const calls: string[] = [];
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(() => calls.push('a'));
    cleanUp.add(() => calls.push('b'));
    void cleanUp.run('client-gone');
    expect(calls).toEqual(['b', 'a']);
  });

  it('runs each function exactly once however often it is ended', async () => {
    const fn = jest.fn();
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(fn);
    const first = cleanUp.run('complete');
    const second = cleanUp.run('error');
    expect(second).toBe(first);
    await Promise.all([first, second, cleanUp.run('shutdown')]);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('keeps the first reason', async () => {
    const cleanUp = new CleanUp(recordingSink());
    await cleanUp.run('overflow');
    await cleanUp.run('complete');
    expect(cleanUp.reason).toBe('overflow');
  });

  it('runs a function added twice twice', async () => {
    const fn = jest.fn();
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(fn);
    cleanUp.add(fn);
    await cleanUp.run('complete');
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('awaits an async function before starting the next one', async () => {
    const calls: string[] = [];
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(async () => {
      calls.push('a:start');
      await sleep(5);
      calls.push('a:end');
    });
    cleanUp.add(() => calls.push('b'));
    cleanUp.add(async () => {
      calls.push('c:start');
      await sleep(20);
      calls.push('c:end');
    });
    const done = cleanUp.run('complete');
    // The first (last-added) async function has started synchronously; the rest wait for it.
    expect(calls).toEqual(['c:start']);
    await done;
    expect(calls).toEqual(['c:start', 'c:end', 'b', 'a:start', 'a:end']);
  });

  it('resolves run() only after every async function settled', async () => {
    let finished = false;
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(async () => {
      await sleep(10);
      finished = true;
    });
    await cleanUp.run('complete');
    expect(finished).toBe(true);
  });

  it('accepts thenables that are not native promises', async () => {
    const calls: string[] = [];
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(() => calls.push('first-added'));
    cleanUp.add(() => ({
      then(resolve: () => void) {
        setTimeout(() => {
          calls.push('thenable');
          resolve();
        }, 5);
      },
    }));
    await cleanUp.run('complete');
    expect(calls).toEqual(['thenable', 'first-added']);
  });

  it('logs a function that throws and still runs the others; run() does not reject', async () => {
    const sink = recordingSink();
    const calls: string[] = [];
    const cleanUp = new CleanUp(sink);
    cleanUp.add(() => calls.push('a'));
    cleanUp.add(() => {
      throw new Error('boom');
    });
    cleanUp.add(() => calls.push('c'));
    await expect(cleanUp.run('error')).resolves.toBeUndefined();
    expect(calls).toEqual(['c', 'a']);
    expect(sink.logged).toHaveLength(1);
    expect(sink.logged[0].message).toBe('A CleanUp function failed: boom');
    expect(sink.logged[0].stack).toContain('boom');
  });

  it('logs a function that rejects and still runs the others', async () => {
    const sink = recordingSink();
    const calls: string[] = [];
    const cleanUp = new CleanUp(sink);
    cleanUp.add(() => calls.push('a'));
    cleanUp.add(async () => {
      await sleep(1);
      throw new Error('async boom');
    });
    cleanUp.add(() => Promise.reject(new Error('rejected')));
    await expect(cleanUp.run('error')).resolves.toBeUndefined();
    expect(calls).toEqual(['a']);
    expect(sink.logged.map((l) => l.message)).toEqual(['A CleanUp function failed: rejected', 'A CleanUp function failed: async boom']);
  });

  it('logs non-Error throws too', async () => {
    const sink = recordingSink();
    const cleanUp = new CleanUp(sink);
    cleanUp.add(() => {
      throw 'a string';
    });
    cleanUp.add(() => Promise.reject(42));
    await cleanUp.run('complete');
    expect(sink.logged.map((l) => l.message)).toEqual(['A CleanUp function failed: 42', 'A CleanUp function failed: a string']);
  });

  it('logs to console by default', async () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const cleanUp = new CleanUp();
      cleanUp.add(() => {
        throw new Error('to the console');
      });
      await cleanUp.run('complete');
      expect(spy).toHaveBeenCalledWith('A CleanUp function failed: to the console', expect.stringContaining('to the console'));
    } finally {
      spy.mockRestore();
    }
  });

  it.each<SseEndReason>(['complete', 'client-gone', 'error', 'overflow', 'shutdown'])(
    'aborts the signal with the reason %s',
    async (reason) => {
      const cleanUp = new CleanUp(recordingSink());
      const signal = cleanUp.signal;
      const done = cleanUp.run(reason);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe(reason);
      expect(cleanUp.reason).toBe(reason);
      expect(cleanUp.ended).toBe(true);
      await done;
    },
  );

  it('aborts the signal before the functions run', async () => {
    const cleanUp = new CleanUp(recordingSink());
    const seen: boolean[] = [];
    const order: string[] = [];
    cleanUp.signal.addEventListener('abort', () => order.push('abort'));
    cleanUp.add(() => {
      seen.push(cleanUp.signal.aborted);
      order.push('fn');
    });
    await cleanUp.run('complete');
    expect(seen).toEqual([true]);
    expect(order).toEqual(['abort', 'fn']);
  });

  it('runs a function added after the end at once', async () => {
    const cleanUp = new CleanUp(recordingSink());
    await cleanUp.run('complete');
    const fn = jest.fn();
    const remove = cleanUp.add(fn);
    expect(fn).toHaveBeenCalledTimes(1);
    remove();
    await cleanUp.run('complete');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('logs errors of a function added after the end, without throwing from add()', async () => {
    const sink = recordingSink();
    const cleanUp = new CleanUp(sink);
    await cleanUp.run('complete');
    expect(() =>
      cleanUp.add(() => {
        throw new Error('late');
      }),
    ).not.toThrow();
    cleanUp.add(() => Promise.reject(new Error('late async')));
    await tick();
    expect(sink.logged.map((l) => l.message)).toEqual(['A CleanUp function failed: late', 'A CleanUp function failed: late async']);
  });

  it('runs at once a function added by another one while the end is running', async () => {
    const calls: string[] = [];
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(() => calls.push('first-added'));
    cleanUp.add(() => {
      calls.push('outer');
      cleanUp.add(() => calls.push('inner'));
    });
    await cleanUp.run('complete');
    expect(calls).toEqual(['outer', 'inner', 'first-added']);
  });

  it('runs a function added while an async one is pending, exactly once', async () => {
    const inner = jest.fn();
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(() => sleep(10));
    const done = cleanUp.run('complete');
    cleanUp.add(inner);
    await done;
    expect(inner).toHaveBeenCalledTimes(1);
  });

  it('unregisters with the returned function, idempotently', async () => {
    const a = jest.fn();
    const b = jest.fn();
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(a);
    const removeB = cleanUp.add(b);
    removeB();
    removeB();
    await cleanUp.run('complete');
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).not.toHaveBeenCalled();
  });

  it('unregisters only one registration of a function added twice', async () => {
    const fn = jest.fn();
    const cleanUp = new CleanUp(recordingSink());
    cleanUp.add(fn);
    const remove = cleanUp.add(fn);
    remove();
    remove();
    await cleanUp.run('complete');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects a non-function', () => {
    const cleanUp = new CleanUp(recordingSink());
    expect(() => cleanUp.add('nope' as unknown as () => void)).toThrow(TypeError);
    expect(() => cleanUp.add(undefined as unknown as () => void)).toThrow(/expects a function, got undefined/);
  });

  it('ends with no functions registered', async () => {
    const cleanUp = new CleanUp(recordingSink());
    await expect(cleanUp.run('complete')).resolves.toBeUndefined();
    expect(cleanUp.ended).toBe(true);
  });
});
