/**
 * The sample as `npm run start:cluster` runs it: `node dist/sample/main.js` twice (one on Express, one on
 * Fastify) with one REDIS_URL and key prefix, driven by real HTTP clients (`eventsource@4.1.1`, fetch).
 * Chat and notifications cross from one instance to the other, and a chat EventSource whose connection
 * drops reconnects to the other instance with its Last-Event-ID and gets what it missed, once, in order.
 * Needs `npm run build` first (`npm test` does it) and Redis (REDIS_URL, else 127.0.0.1:6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventSource } from 'eventsource';
import type { SampleInstance } from '../sample/instance/instance.controller.js';
import type { StreamStats } from '../sample/stats/stream-stats.service.js';
import { recordEventSource, type EventSourceRecorder, type Received } from './support/event-source.js';
import { dropPrefix, freePort, REDIS_URL, uniquePrefix } from './support/redis.js';
import { until } from './support/until.js';
import { stopChild } from './support/child-process.js';

const MAIN = resolve(process.cwd(), 'dist/sample/main.js');
const GAP_EVENT = 'sse-gap';

interface Instance {
  url: string;
  child: ChildProcess;
  output: () => string;
}

const keyPrefix = uniquePrefix('sample-cluster');
const instances: Instance[] = [];
const openSources: Array<{ close(): void }> = [];
let a: Instance;
let b: Instance;

async function startInstance(platform: 'express' | 'fastify'): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, SAMPLE_PLATFORM: platform, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const instance: Instance = { url: `http://127.0.0.1:${port}`, child, output: () => output };
  instances.push(instance);
  try {
    await until(
      () => {
        if (child.exitCode !== null) throw new Error(`The ${platform} instance exited (code ${child.exitCode}).`);
        return output.includes(`Sample running at http://localhost:${port}`);
      },
      15_000,
      `the ${platform} instance on port ${port}`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} Its output:\n${output}`);
  }
  return instance;
}

const tokenOf = (user: string): string => `token=demo-token-${user}`;

async function post(instance: Instance, user: string, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${instance.url}${path}?${tokenOf(user)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

async function listen(instance: Instance, user: string, path: string): Promise<EventSourceRecorder> {
  const recorder = recordEventSource(`${instance.url}${path}?${tokenOf(user)}`, [GAP_EVENT]);
  openSources.push(recorder);
  await until(() => recorder.opens === 1, 5_000, `${path} open on ${instance.url}`);
  return recorder;
}

const texts = (events: Received[]): string[] => events.map((event) => (JSON.parse(event.data) as { text: string }).text);

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does).`);
  [a, b] = await Promise.all([startInstance('express'), startInstance('fastify')]);
}, 20_000);

afterAll(async () => {
  for (const source of openSources) source.close();
  await Promise.all(instances.map((instance) => stopChild(instance.child)));
  await dropPrefix(keyPrefix);
});

it('runs both instances on the Redis hub, says so in its log, and names itself at GET /instance', async () => {
  for (const [instance, platform] of [
    [a, 'express'],
    [b, 'fastify'],
  ] as const) {
    expect(instance.output()).toContain(`(prefix ${keyPrefix})`);
    expect(instance.output()).toMatch(/Hub on Redis at redis:\/\//);
    const info = (await (await fetch(`${instance.url}/instance`)).json()) as SampleInstance;
    expect(info).toMatchObject({ port: Number(new URL(instance.url).port), platform, hub: 'redis', redis: { keyPrefix } });
    expect(info.redis?.url).not.toMatch(/:[^/:@]+@/); // no password shown
  }
});

it('delivers a chat message posted on one instance to a chat stream on the other, both ways, in one order', async () => {
  const onA = await listen(a, 'alice', '/chat/events');
  const onB = await listen(b, 'bob', '/chat/events');

  const first = await post(a, 'alice', '/chat/messages', { text: 'from A' });
  await onB.waitForEvents(1);
  const second = await post(b, 'bob', '/chat/messages', { text: 'from B' });
  await onA.waitForEvents(2);
  await onB.waitForEvents(2);

  for (const recorder of [onA, onB]) {
    expect(texts(recorder.events)).toEqual(['from A', 'from B']);
    expect(recorder.events.map((event) => event.lastEventId)).toEqual([first.id, second.id]);
  }
});

it('delivers a notification sent on B to its recipient subscribed on A', async () => {
  const alice = await listen(a, 'alice', '/notifications/events');
  const sent = await post(b, 'carol', '/notifications', { to: 'alice', text: 'hello from B' });
  const [event] = await alice.waitForEvents(1);
  expect(event).toMatchObject({ type: 'message', lastEventId: sent.id });
  expect(JSON.parse(event.data)).toMatchObject({ from: 'carol', text: 'hello from B' });
});

it('resumes a chat stream on the other instance with its Last-Event-ID: what it missed, once, in order', async () => {
  const chatPath = `/chat/events?${tokenOf('carol')}`;
  // The EventSource's own reconnect goes to whichever instance `target` is, and waits for `reconnect`.
  let target = a;
  let allowReconnect!: () => void;
  const reconnect = new Promise<void>((done) => (allowReconnect = done));
  const requests: Array<{ url: string; lastEventId: string | undefined }> = [];
  const source = new EventSource(`${a.url}${chatPath}`, {
    fetch: async (_input, init) => {
      requests.push({ url: target.url, lastEventId: init.headers['Last-Event-ID'] });
      if (requests.length > 1) await reconnect;
      return fetch(`${target.url}${chatPath}`, init);
    },
  });
  const events: Received[] = [];
  let opens = 0;
  let errors = 0;
  const record = (event: MessageEvent): void => {
    events.push({ type: event.type, data: String(event.data), lastEventId: event.lastEventId });
  };
  source.onmessage = record;
  source.addEventListener(GAP_EVENT, record);
  source.onopen = () => opens++;
  source.onerror = () => errors++;
  openSources.push(source);
  const before = (await (await fetch(`${b.url}/stats`)).json()) as StreamStats;

  await until(() => opens === 1, 5_000, 'the chat stream on A');
  const seen = await post(b, 'bob', '/chat/messages', { text: 'before the drop' });
  await until(() => events.length === 1, 5_000, 'the first message');

  // A's connections drop (as when A goes away); the EventSource is told and will reconnect, to B.
  target = b;
  await fetch(`${a.url}/debug/drop-connections`, { method: 'POST' });
  await until(() => errors === 1, 5_000, 'the EventSource to notice the drop');
  const missed = [
    await post(a, 'alice', '/chat/messages', { text: 'missed 1' }),
    await post(b, 'bob', '/chat/messages', { text: 'missed 2' }),
    await post(a, 'alice', '/chat/messages', { text: 'missed 3' }),
  ];
  allowReconnect();
  await until(() => opens === 2, 5_000, 'the reconnect to B');
  const live = await post(a, 'alice', '/chat/messages', { text: 'live after the resume' });
  await until(() => events.length >= 5, 5_000, `5 messages (got ${events.length})`);

  expect(requests).toEqual([
    { url: a.url, lastEventId: undefined },
    { url: b.url, lastEventId: seen.id },
  ]);
  expect(events.map((event) => event.type)).toEqual(Array(5).fill('message')); // no sse-gap
  expect(texts(events)).toEqual(['before the drop', 'missed 1', 'missed 2', 'missed 3', 'live after the resume']);
  expect(events.map((event) => event.lastEventId)).toEqual([seen, ...missed, live].map((sent) => sent.id));
  const stats = (await (await fetch(`${b.url}/stats`)).json()) as StreamStats;
  expect(stats.resumed.chat).toBe(before.resumed.chat + 1);
});
