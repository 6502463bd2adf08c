import { SseError, SseOptionsError } from './errors.js';
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MAX_PENDING_BYTES,
  resolveStreamOptions,
  validateStreamOptions,
  type SseModuleOptions,
  type SseRouteOptions,
} from './sse-module-options.js';
import { jsonSerializer, type SseSerializer } from './wire/encode-frame.js';

const WHERE = 'SseModule.forRoot()';

function validationError(options: unknown): SseOptionsError {
  try {
    validateStreamOptions(WHERE, options as SseModuleOptions);
  } catch (err) {
    if (err instanceof SseOptionsError) return err;
    throw new Error(`expected an SseOptionsError, got ${String(err)}`);
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

const key = () => 'k';

describe('validateStreamOptions', () => {
  it('accepts no options and the documented defaults', () => {
    expect(() => validateStreamOptions(WHERE, {})).not.toThrow();
    expect(() =>
      validateStreamOptions(WHERE, {
        heartbeat: 15_000,
        heartbeatEvent: 'ping',
        retry: 0,
        maxPendingBytes: 0,
        serializer: jsonSerializer,
        connectionsPerKey: { key, max: 1 },
        maxConnections: 0,
        retryAfterSeconds: 0,
        shutdownGracePeriod: 0,
      }),
    ).not.toThrow();
  });

  it('accepts heartbeat: false and explicit undefined values', () => {
    expect(() => validateStreamOptions(WHERE, { heartbeat: false })).not.toThrow();
    expect(() =>
      validateStreamOptions(WHERE, { heartbeat: undefined, retry: undefined, serializer: undefined, connectionsPerKey: undefined }),
    ).not.toThrow();
  });

  it('accepts the longest timer Node supports', () => {
    expect(() => validateStreamOptions(WHERE, { heartbeat: 2_147_483_647, shutdownGracePeriod: 2_147_483_647 })).not.toThrow();
  });

  const integerOptions = [
    'heartbeat',
    'retry',
    'maxPendingBytes',
    'maxConnections',
    'shutdownGracePeriod',
    'retryAfterSeconds',
    'headWaitMs',
  ];
  const badIntegers: Array<[string, unknown]> = [
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a string', '1000'],
    ['null', null],
    ['true', true],
    ['a bigint', 1000n],
    ['an object', { ms: 1 }],
  ];
  const cases = integerOptions
    .flatMap((name) => badIntegers.map(([label, value]) => [name, label, value] as const))
    // Infinity lifts the bound (as maxPendingDataLength's does in Nest).
    .filter(([name, label]) => !(name === 'maxPendingBytes' && label === 'Infinity'));

  it.each(cases)('rejects %s %s, naming the option', (name, _label, value) => {
    const err = validationError({ [name]: value });
    expect(err.message).toContain(`option "${name}"`);
    expect(err.message.startsWith(`${WHERE}: `)).toBe(true);
    expect(err.message).toMatch(/expected a non-negative integer/);
  });

  it.each(['retry', 'maxPendingBytes', 'maxConnections', 'shutdownGracePeriod', 'retryAfterSeconds'])('rejects %s: false', (name) => {
    expect(validationError({ [name]: false }).message).toContain(`option "${name}" is false; expected a non-negative integer.`);
  });

  it('shows the value as written in the message', () => {
    expect(validationError({ retry: NaN }).message).toBe(`${WHERE}: option "retry" is NaN; expected a non-negative integer.`);
    expect(validationError({ retry: -5 }).message).toContain('is -5;');
    expect(validationError({ retry: '1000' }).message).toContain('is "1000";');
    expect(validationError({ retry: 10n }).message).toContain('is 10n;');
    expect(validationError({ heartbeat: Infinity }).message).toContain('is Infinity;');
  });

  it('says heartbeat may be false', () => {
    expect(validationError({ heartbeat: -1 }).message).toMatch(/"heartbeat".*a non-negative integer or false/);
  });

  it('rejects heartbeat: 0 (it would spin), suggesting false', () => {
    const err = validationError({ heartbeat: 0 });
    expect(err.message).toContain('option "heartbeat" is 0');
    expect(err.message).toContain('false to disable');
  });

  it.each(['heartbeat', 'shutdownGracePeriod'])('rejects %s longer than a Node timer', (name) => {
    const err = validationError({ [name]: 2_147_483_648 });
    expect(err.message).toContain(`option "${name}" is 2147483648`);
    expect(err.message).toContain('longest timer');
  });

  it.each([
    ['with LF', 'a\nb'],
    ['with CR', 'a\rb'],
    ['not a string', 5],
  ])('rejects heartbeatEvent %s', (_label, value) => {
    expect(validationError({ heartbeatEvent: value }).message).toContain('option "heartbeatEvent"');
  });

  it.each([
    ['a string', 'json'],
    ['an object', { stringify: JSON.stringify }],
    ['null', null],
  ])('rejects a serializer that is %s', (_label, value) => {
    const err = validationError({ serializer: value });
    expect(err.message).toContain('option "serializer"');
    expect(err.message).toContain('a function (value) => string');
  });

  it.each([
    ['null', null],
    ['a number', 5],
    ['no key', { max: 1 }],
    ['a key that is not a function', { key: 'user', max: 1 }],
    ['no max', { key }],
    ['max 0', { key, max: 0 }],
    ['max negative', { key, max: -1 }],
    ['max fractional', { key, max: 1.5 }],
    ['max a string', { key, max: '2' }],
  ])('rejects connectionsPerKey with %s', (_label, value) => {
    expect(validationError({ connectionsPerKey: value }).message).toContain('option "connectionsPerKey"');
  });

  it('does not fail on a value it cannot show as JSON', () => {
    const cyclic: Record<string, unknown> = { max: 0, key };
    cyclic.self = cyclic;
    expect(validationError({ connectionsPerKey: cyclic }).message).toContain('option "connectionsPerKey" is [object Object]');
  });

  it('uses the caller name given', () => {
    expect(() => validateStreamOptions('@Sse() on FeedController.feed', { retry: -1 })).toThrow(
      /^@Sse\(\) on FeedController\.feed: option "retry"/,
    );
  });

  it('throws an SseError subclass', () => {
    expect(validationError({ retry: -1 })).toBeInstanceOf(SseError);
    expect(validationError({ retry: -1 }).name).toBe('SseOptionsError');
  });
});

describe('resolveStreamOptions', () => {
  it('applies the defaults', () => {
    expect(resolveStreamOptions({}, undefined)).toEqual({
      heartbeat: DEFAULT_HEARTBEAT_MS,
      heartbeatEvent: undefined,
      retry: undefined,
      maxPendingBytes: DEFAULT_MAX_PENDING_BYTES,
      serializer: jsonSerializer,
      connectionsPerKey: undefined,
      headWaitMs: 250,
    });
    expect(DEFAULT_HEARTBEAT_MS).toBe(15_000);
    expect(DEFAULT_MAX_PENDING_BYTES).toBe(4 * 1024 * 1024);
  });

  it('takes module options over defaults', () => {
    const serializer: SseSerializer = () => 's';
    const connectionsPerKey = { key, max: 3 };
    expect(
      resolveStreamOptions(
        { heartbeat: 1000, heartbeatEvent: 'hb', retry: 500, maxPendingBytes: 10, serializer, connectionsPerKey },
        undefined,
      ),
    ).toEqual({ heartbeat: 1000, heartbeatEvent: 'hb', retry: 500, maxPendingBytes: 10, serializer, connectionsPerKey, headWaitMs: 250 });
  });

  it('takes route options over module options', () => {
    const moduleSerializer: SseSerializer = () => 'module';
    const routeSerializer: SseSerializer = () => 'route';
    const module: SseModuleOptions = {
      heartbeat: 1000,
      heartbeatEvent: 'module-hb',
      retry: 500,
      maxPendingBytes: 10,
      serializer: moduleSerializer,
      connectionsPerKey: { key, max: 3 },
    };
    const route: SseRouteOptions = {
      heartbeat: 2000,
      heartbeatEvent: 'route-hb',
      retry: 0,
      maxPendingBytes: 20,
      serializer: routeSerializer,
      connectionsPerKey: { key, max: 1 },
      method: 'POST',
    };
    const resolved = resolveStreamOptions(module, route);
    expect(resolved).toEqual({
      heartbeat: 2000,
      heartbeatEvent: 'route-hb',
      retry: 0,
      maxPendingBytes: 20,
      serializer: routeSerializer,
      connectionsPerKey: { key, max: 1 },
      headWaitMs: 250,
    });
    expect(resolved.serializer).toBe(routeSerializer);
  });

  it('lets a route turn the heartbeat off', () => {
    expect(resolveStreamOptions({ heartbeat: 1000 }, { heartbeat: false }).heartbeat).toBe(false);
  });

  it('lets a route turn the heartbeat on when the module turned it off', () => {
    expect(resolveStreamOptions({ heartbeat: false }, { heartbeat: 500 }).heartbeat).toBe(500);
    expect(resolveStreamOptions({ heartbeat: false }, {}).heartbeat).toBe(false);
  });

  it('falls back to the module for options the route leaves out or sets to undefined', () => {
    const resolved = resolveStreamOptions({ retry: 700, maxPendingBytes: 99 }, { retry: undefined, heartbeat: 3000 });
    expect(resolved).toMatchObject({ retry: 700, maxPendingBytes: 99, heartbeat: 3000 });
  });

  it('falls back to the defaults for options neither sets', () => {
    expect(resolveStreamOptions({ retry: 1 }, { retry: 2 })).toMatchObject({
      heartbeat: DEFAULT_HEARTBEAT_MS,
      maxPendingBytes: DEFAULT_MAX_PENDING_BYTES,
      serializer: jsonSerializer,
    });
  });

  it("maps Nest's maxPendingDataLength to maxPendingBytes: one for one, 0 lifts it, NaN is the default", () => {
    const nest = (value: number) => resolveStreamOptions({ maxPendingBytes: 99 }, { maxPendingDataLength: value }).maxPendingBytes;
    expect(nest(1024)).toBe(1024);
    expect(nest(0)).toBe(Infinity);
    expect(nest(Infinity)).toBe(Infinity);
    expect(nest(NaN)).toBe(99);
  });

  it('ignores module-only options', () => {
    const resolved = resolveStreamOptions({ maxConnections: 5, shutdownGracePeriod: 10, farewell: { data: 'bye' } }, undefined);
    expect(Object.keys(resolved).sort()).toEqual([
      'connectionsPerKey',
      'headWaitMs',
      'heartbeat',
      'heartbeatEvent',
      'maxPendingBytes',
      'retry',
      'serializer',
    ]);
  });
});
