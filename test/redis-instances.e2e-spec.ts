/**
 * Scale-out on Redis with real processes: two app instances (one Express, one Fastify) started
 * from dist/bench/servers/redis-instance.js on one key prefix act as one hub. Clients on both get
 * every event in the same order (id order), a client resumes on the other instance with its
 * Last-Event-ID, and each instance holds one Redis subscription per channel, not one per client.
 * Needs `npm run build` first (`npm test` does it) and Redis (REDIS_URL, else 127.0.0.1:6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { createParser } from 'eventsource-parser';
import { Redis } from 'ioredis';
import { recordEventSource, type EventSourceRecorder } from './support/event-source.js';
import { dropPrefix, freePort, REDIS_URL, uniquePrefix } from './support/redis.js';
import { until } from './support/until.js';
import { stopChild } from './support/child-process.js';

const INSTANCE = resolve(process.cwd(), 'dist/bench/servers/redis-instance.js');

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
}

interface Received {
  id: string;
  data: string;
  /** The event name (`message` when the frame has none). */
  event: string;
}

/** A raw HTTP SSE reader on its own socket, parsed as it arrives (eventsource-parser). */
interface Reader {
  status: number;
  events: Received[];
  destroy(): void;
}

const keyPrefix = uniquePrefix('instances');
const instances: Instance[] = [];
let redis: Redis;

function startInstance(name: string, platform: 'express' | 'fastify', port: number): Promise<Instance> {
  const child = spawn(process.execPath, [INSTANCE], {
    // Short lease and instance timeout: the crash test waits for them to run out.
    env: {
      ...process.env,
      PORT: String(port),
      PLATFORM: platform,
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      LEASE_MS: '600',
      INSTANCE_TIMEOUT_MS: '600',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const instance: Instance = { name, url: `http://127.0.0.1:${port}`, child, output: () => output };
  instances.push(instance);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} (${platform}) not ready after 15 s; output:\n${output}`)), 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${name} (${platform}) exited (code ${code}, signal ${signal}) before it was ready; output:\n${output}`));
    });
    child.stdout!.on('data', () => {
      if (!output.includes(`ready ${port}\n`)) return;
      clearTimeout(timer);
      done(instance);
    });
  });
}

function openReader(url: string, lastEventId?: string, method = 'GET'): Promise<Reader> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const req = http.request(url, { method, headers, agent: false });
    req.end();
    req.on('error', fail);
    req.on('response', (res) => {
      const reader: Reader = {
        status: res.statusCode ?? 0,
        events: [],
        destroy: () => {
          res.destroy();
          req.destroy();
        },
      };
      const parser = createParser({
        onEvent: (event) => reader.events.push({ id: event.id ?? '', data: event.data, event: event.event ?? 'message' }),
      });
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('error', () => undefined);
      done(reader);
    });
  });
}

/** POSTs a JSON body to `/publish/:channel`; resolves with the id the hub assigned. */
function publish(instance: Instance, channel: string, body: unknown): Promise<string> {
  return new Promise((done, fail) => {
    const payload = JSON.stringify(body);
    const req = http.request(`${instance.url}/publish/${channel}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('error', fail);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 201 && res.statusCode !== 200)
          return fail(new Error(`${instance.name}: publish answered ${res.statusCode} ${text}`));
        done((JSON.parse(text) as { id: string }).id);
      });
    });
    req.end(payload);
  });
}

/** Ids are `<ms>-<seq>`: compared as numbers, never as text. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as < bs ? -1 : as > bs ? 1 : 0;
}

const sortIds = (ids: string[]) => [...ids].sort(compareIds);

async function numsub(channel: string): Promise<number> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', `{${keyPrefix}}:ev:${channel}`)) as [string, number];
  return Number(reply[1]);
}

beforeAll(async () => {
  if (!existsSync(INSTANCE)) {
    throw new Error(
      `${INSTANCE} is missing: this test runs the compiled instance program. Run \`npm run build\` first (\`npm test\` does).`,
    );
  }
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const [portA, portB] = [await freePort(), await freePort()];
  await Promise.all([startInstance('A', 'express', portA), startInstance('B', 'fastify', portB)]);
}, 30_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => stopChild(instance.child)));
  redis?.disconnect();
  await dropPrefix(keyPrefix);
}, 15_000);

const a = () => instances.find((i) => i.name === 'A')!;
const b = () => instances.find((i) => i.name === 'B')!;

it('200 clients over both instances get all 100 events, published through both, in id order', async () => {
  const channel = 'order';
  const readers: Reader[] = [];
  const sources: EventSourceRecorder[] = [];
  try {
    // 195 raw readers and 5 EventSource clients, alternately on A (Express) and B (Fastify).
    for (let i = 0; i < 195; i += 15) {
      readers.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(15, 195 - i) }, (_, k) => openReader(`${(i + k) % 2 ? b().url : a().url}/sse/${channel}`)),
        )),
      );
    }
    for (let i = 0; i < 5; i++) sources.push(recordEventSource(`${i % 2 ? a().url : b().url}/sse/${channel}`));
    expect(readers.every((r) => r.status === 200)).toBe(true);
    await until(() => sources.every((s) => s.opens >= 1), 10_000, 'EventSource clients open');
    // 100 clients on each instance, one Redis subscription each.
    expect(await numsub(channel)).toBe(2);

    // 100 events, alternately through A and B, 8 publishes in flight at a time.
    const ids: string[] = new Array(100);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 100) {
          const n = next++;
          ids[n] = await publish(n % 2 ? b() : a(), channel, { n });
        }
      }),
    );
    expect(new Set(ids).size).toBe(100);
    const inIdOrder = sortIds(ids);

    await until(
      () => readers.every((r) => r.events.length >= 100) && sources.every((s) => s.events.length >= 100),
      15_000,
      '100 events on every client',
    );
    const sequences = [...readers.map((r) => r.events.map((e) => e.id)), ...sources.map((s) => s.events.map((e) => e.lastEventId))];
    expect(sequences).toHaveLength(200);
    for (const sequence of sequences) expect(sequence).toEqual(inIdOrder);
    // Each id carries the value published under it.
    const valueOf = new Map(ids.map((id, n) => [id, JSON.stringify({ n })]));
    for (const reader of [readers[0]!, readers[1]!]) {
      for (const event of reader.events) expect(event.data).toBe(valueOf.get(event.id));
    }
    expect(sources[0]!.events.map((e) => e.data)).toEqual(inIdOrder.map((id) => valueOf.get(id)));
  } finally {
    for (const reader of readers) reader.destroy();
    for (const source of sources) source.close();
  }
}, 30_000);

it('a client killed on A resumes on B with its Last-Event-ID: every missed event once, then live ones', async () => {
  const channel = 'resume';
  const published: string[] = [];
  const resolvedAfter = (mark: number) => published.length - mark;
  let stop = false;
  // Publishes through both instances, alternately, 4 in flight, until told to stop.
  let n = 0;
  const publishing = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) {
        const k = n++;
        published.push(await publish(k % 2 ? b() : a(), channel, { n: k }));
        await new Promise((r) => setTimeout(r, 2));
      }
    }),
  );
  let first: Reader | undefined;
  let second: Reader | undefined;
  try {
    first = await openReader(`${a().url}/sse/${channel}`);
    expect(first.status).toBe(200);
    await until(() => first!.events.length >= 10, 10_000, '10 events on A');
    first.destroy();
    const seen = first.events.map((e) => e.id);
    const lastId = seen.at(-1)!;

    // Events go on through both while the client is away...
    const killedAt = published.length;
    await until(() => resolvedAfter(killedAt) >= 20, 10_000, '20 publishes while the client is away');
    second = await openReader(`${b().url}/sse/${channel}`, lastId);
    expect(second.status).toBe(200);
    // ...and after it is back.
    const backAt = published.length;
    await until(() => resolvedAfter(backAt) >= 20, 10_000, '20 publishes after the reconnect');
    stop = true;
    await publishing;

    const all = sortIds(published);
    const expected = all.filter((id) => compareIds(id, lastId) > 0);
    await until(() => second!.events.length >= expected.length, 10_000, `${expected.length} events after the reconnect`);
    const resumed = second.events.map((e) => e.id);
    expect(resumed).toEqual(expected);
    expect(new Set(resumed).size).toBe(resumed.length);
    // Nothing lost or repeated across the two connections, in id order.
    expect([...seen, ...resumed]).toEqual(all.slice(all.indexOf(seen[0]!)));
    // The replay covered what was missed and live delivery followed: events published after the
    // reconnect (the last 20 resolved) arrived on it too.
    expect(resumed).toEqual(expect.arrayContaining(published.slice(backAt)));
    expect(expected.length).toBeGreaterThanOrEqual(30);
  } finally {
    stop = true;
    await publishing.catch(() => undefined);
    first?.destroy();
    second?.destroy();
  }
}, 30_000);

it('each instance holds one Redis subscription per channel, however many clients', async () => {
  const channel = 'numsub';
  expect(await numsub(channel)).toBe(0);
  const readers: Reader[] = [];
  try {
    readers.push(...(await Promise.all(Array.from({ length: 60 }, (_, i) => openReader(`${i % 2 ? b().url : a().url}/sse/${channel}`)))));
    expect(readers.every((r) => r.status === 200)).toBe(true);
    // Two instances: two subscribers to the channel's pub/sub channel, not 60.
    expect(await numsub(channel)).toBe(2);
    // Only clients of one instance left: one subscription left.
    for (const reader of readers.filter((_, i) => i % 2 === 1)) reader.destroy();
    await until(async () => (await numsub(channel)) === 1, 5_000, 'B to unsubscribe');
    const id = await publish(b(), channel, { after: 'B left' });
    await until(() => readers[0]!.events.some((e) => e.id === id), 5_000, 'the event on A');
  } finally {
    for (const reader of readers) reader.destroy();
  }
  await until(async () => (await numsub(channel)) === 0, 5_000, 'both instances to unsubscribe');
}, 30_000);

it('an instance killed (SIGKILL) mid-stream: its resumable stream ends with an error for followers elsewhere, its users leave', async () => {
  const crashing = await startInstance('C', 'fastify', await freePort());
  const readers: Reader[] = [];
  try {
    const watcher = await openReader(`${a().url}/sse/crash-room?user=ann`);
    readers.push(watcher);
    readers.push(await openReader(`${crashing.url}/sse/crash-room?user=carol`));
    const starter = await openReader(`${crashing.url}/streams/crash-answer`, undefined, 'POST');
    readers.push(starter);
    await until(() => starter.events.length >= 2, 5000, 'the first tokens');
    const follower = await openReader(`${b().url}/streams/crash-answer`, starter.events[1]!.id);
    readers.push(follower);
    await until(() => follower.events.length >= 1, 5000, 'the follower to be live');
    const about = (name: string, user: string) => watcher.events.some((e) => e.event === name && e.data.includes(user));
    await until(() => about('join', 'carol'), 5000, "carol's join");
    crashing.child.kill('SIGKILL');
    await until(() => follower.events.at(-1)?.event === 'error', 10_000, 'the error event on the follower');
    expect(JSON.parse(follower.events.at(-1)!.data)).toMatchObject({ message: expect.stringMatching(/went away/) });
    // Every token it had is there once, in order, before the error.
    const tokens = follower.events.slice(0, -1).map((e) => e.data);
    expect(tokens).toEqual(Array.from({ length: tokens.length }, (_, i) => `t${i + 3}`));
    await until(() => about('leave', 'carol'), 10_000, "carol's leave");
    expect(watcher.events.filter((e) => e.event === 'leave').map((e) => JSON.parse(e.data))).toEqual([{ user: 'carol' }]);
  } finally {
    for (const reader of readers) reader.destroy();
  }
}, 30_000);

it('both instances close on SIGTERM and exit 0, with no error logged', async () => {
  const exits = await Promise.all([a(), b()].map((instance) => stopChild(instance.child)));
  expect(exits).toEqual([
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);
  for (const instance of [a(), b()]) {
    expect(instance.output().startsWith(`ready ${new URL(instance.url).port}\n`)).toBe(true);
    // The one taking over the killed instance's stream says so (a warning); nothing is an error.
    expect(instance.output()).not.toMatch(/ERROR/);
  }
}, 15_000);
