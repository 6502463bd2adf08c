/**
 * The package as a user installs it: `npm pack`, unpacked into a fresh app's node_modules, imported
 * through its `exports` map from plain ESM JavaScript and type-checked from TypeScript.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(process.cwd());
let appDir: string;

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  appDir = mkdtempSync(join(tmpdir(), 'nest-event-stream-pack-'));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', appDir], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop() as string;
  const modules = join(appDir, 'node_modules');
  const target = join(modules, 'nest-event-stream');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(appDir, packed), '-C', target, '--strip-components=1']);
  // The app's other dependencies are the ones this repository installed.
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === '.bin' || entry === 'nest-event-stream') continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
}, 120_000);

afterAll(() => {
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

it('ships only dist/lib, the README and package.json', () => {
  const files = execFileSync('tar', ['-tzf', join(appDir, readdirSync(appDir).find((f) => f.endsWith('.tgz')) as string)], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
  expect(files).toContain('package/dist/lib/index.js');
  expect(files).toContain('package/dist/lib/index.d.ts');
  expect(files.every((f) => f.startsWith('package/dist/lib/') || ['package/package.json', 'package/README.md'].includes(f))).toBe(true);
});

it('serves a stream from plain ESM JavaScript importing the installed package', () => {
  writeFileSync(
    join(appDir, 'app.mjs'),
    `
import 'reflect-metadata';
import http from 'node:http';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Sse, SseModule, SseEvent, CleanUp } from 'nest-event-stream';

class Feed {
  stream() { return ['a', new SseEvent({ data: { b: 1 }, id: '1', event: 'x' })]; }
}
const d = Reflect.decorate([Sse('feed')], Feed.prototype, 'stream', Object.getOwnPropertyDescriptor(Feed.prototype, 'stream'));
Object.defineProperty(Feed.prototype, 'stream', d);
Controller()(Feed);
class AppModule {}
Module({ imports: [SseModule.forRoot()], controllers: [Feed] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();
const body = await new Promise((resolve, reject) => {
  http.get('http://127.0.0.1:' + port + '/feed', (res) => {
    let text = res.headers['content-type'] + '|';
    res.on('data', (c) => (text += c));
    res.on('end', () => resolve(text));
  }).on('error', reject);
});
await app.close();
console.log(JSON.stringify({ body, cleanUp: typeof CleanUp }));
`,
  );
  const out = execFileSync('node', ['app.mjs'], { cwd: appDir, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ body: 'text/event-stream|data: a\n\nevent: x\nid: 1\ndata: {"b":1}\n\n', cleanUp: 'function' });
}, 60_000);

it('broadcasts through SseHub and reads it back with the client and testing subpaths', () => {
  writeFileSync(
    join(appDir, 'hub.mjs'),
    `
import 'reflect-metadata';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Sse, SseHub, SseModule } from 'nest-event-stream';
import { connectSse } from 'nest-event-stream/client';
import { readEvents } from 'nest-event-stream/testing';

class Room {
  constructor(hub) { this.hub = hub; }
  events() { return this.hub.subscribe('room'); }
}
Inject(SseHub)(Room, undefined, 0);
const d = Reflect.decorate([Sse('room')], Room.prototype, 'events', Object.getOwnPropertyDescriptor(Room.prototype, 'events'));
Object.defineProperty(Room.prototype, 'events', d);
Controller()(Room);
class AppModule {}
Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [Room] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const hub = app.get(SseHub);
const subscribed = async () => { while (hub.connections('room') < 1) await new Promise((r) => setTimeout(r, 5)); };
const reading = readEvents(app, '/room', { count: 2 });
await subscribed();
const ids = [await hub.publish('room', { n: 1 }), await hub.publish('room', 'two')];
const read = await reading;
const seen = [];
while (hub.connections('room') > 0) await new Promise((r) => setTimeout(r, 5));
const client = connectSse('http://127.0.0.1:' + app.getHttpServer().address().port + '/room');
const iterator = client[Symbol.asyncIterator]();
const first = iterator.next();
await subscribed();
await hub.publish('room', 'three');
seen.push((await first).value.data);
await iterator.return();
await app.close();
console.log(JSON.stringify({ ids, read: read.events.map((e) => [e.id, e.data]), seen }));
`,
  );
  const out = execFileSync('node', ['hub.mjs'], { cwd: appDir, encoding: 'utf8' });
  const { ids, read, seen } = JSON.parse(out) as { ids: string[]; read: string[][]; seen: string[] };
  expect(ids[0]).toMatch(/^\d+-\d+$/);
  expect(read).toEqual([
    [ids[0], '{"n":1}'],
    [ids[1], 'two'],
  ]);
  expect(seen).toEqual(['three']);
}, 60_000);

it('scales out through the redis subpath: a publish on one app reaches a subscriber of another', () => {
  const keyPrefix = `nes-pack-${process.pid}-${Date.now()}`;
  writeFileSync(
    join(appDir, 'redis.mjs'),
    `
import 'reflect-metadata';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Sse, SseHub, SseModule } from 'nest-event-stream';
import { RedisHubStore, RedisHubTransport } from 'nest-event-stream/redis';
import { readEvents } from 'nest-event-stream/testing';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = ${JSON.stringify(keyPrefix)};
class Room {
  constructor(hub) { this.hub = hub; }
  events() { return this.hub.subscribe('room'); }
}
Inject(SseHub)(Room, undefined, 0);
const d = Reflect.decorate([Sse('room')], Room.prototype, 'events', Object.getOwnPropertyDescriptor(Room.prototype, 'events'));
Object.defineProperty(Room.prototype, 'events', d);
Controller()(Room);
const instance = async () => {
  class AppModule {}
  Module({
    imports: [SseModule.forRoot({ heartbeat: false, store: new RedisHubStore({ url, keyPrefix }), transport: new RedisHubTransport({ url, keyPrefix }) })],
    controllers: [Room],
  })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
};
const a = await instance();
const b = await instance();
const reading = readEvents(b, '/room', { count: 1 });
while (b.get(SseHub).connections('room') < 1) await new Promise((r) => setTimeout(r, 5));
const id = await a.get(SseHub).publish('room', 'from a');
const read = await reading;
await a.close();
await b.close();
const { Redis } = await import('ioredis');
const redis = new Redis(url);
const keys = await redis.keys('{' + keyPrefix + '}*');
if (keys.length) await redis.del(...keys);
redis.disconnect();
console.log(JSON.stringify({ id, read: read.events.map((e) => [e.id, e.data]) }));
`,
  );
  const out = execFileSync('node', ['redis.mjs'], { cwd: appDir, encoding: 'utf8' });
  const { id, read } = JSON.parse(out) as { id: string; read: string[][] };
  expect(read).toEqual([[id, 'from a']]);
}, 60_000);

it('needs neither ioredis nor @nestjs/swagger for the core, client and testing entry points (optional peers)', () => {
  // Apart from the first app (whose node_modules has both): the package copied, the rest linked.
  const bare = mkdtempSync(join(tmpdir(), 'nest-event-stream-bare-'));
  mkdirSync(join(bare, 'node_modules', '@nestjs'), { recursive: true });
  cpSync(join(appDir, 'node_modules', 'nest-event-stream'), join(bare, 'node_modules', 'nest-event-stream'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (!['.bin', 'nest-event-stream', 'ioredis', '@nestjs'].includes(entry))
      symlinkSync(join(root, 'node_modules', entry), join(bare, 'node_modules', entry));
  }
  for (const entry of readdirSync(join(root, 'node_modules', '@nestjs'))) {
    if (entry !== 'swagger') symlinkSync(join(root, 'node_modules', '@nestjs', entry), join(bare, 'node_modules', '@nestjs', entry));
  }
  writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'bare', type: 'module', private: true }));
  writeFileSync(
    join(bare, 'core.mjs'),
    `import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Sse, SseEvents, SseHub, SseModule } from 'nest-event-stream';
import { connectSse } from 'nest-event-stream/client';
import { readEvents } from 'nest-event-stream/testing';
const missing = async (path) => { try { await import(path); return 'loaded'; } catch (err) { return err.code; } };
let swagger = await missing('@nestjs/swagger');

// A route that declares its events works the same without @nestjs/swagger.
class Feed {
  stream() { return [{ event: 'tick', data: 1 }, { event: 'tick', data: 2 }]; }
}
const d = Reflect.decorate([Sse('feed'), SseEvents({ tick: Number })], Feed.prototype, 'stream', Object.getOwnPropertyDescriptor(Feed.prototype, 'stream'));
Object.defineProperty(Feed.prototype, 'stream', d);
Controller()(Feed);
class AppModule {}
Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [Feed] })(AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
const { events } = await readEvents(app, '/feed', { count: 2 });
await app.close();
console.log(JSON.stringify([typeof SseHub, typeof connectSse, swagger, events.map((e) => [e.event, e.data]), await missing('nest-event-stream/redis'), await missing('nest-event-stream/openapi')]));
`,
  );
  try {
    const out = execFileSync('node', ['core.mjs'], { cwd: bare, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([
      'function',
      'function',
      'ERR_MODULE_NOT_FOUND',
      [
        ['tick', '1'],
        ['tick', '2'],
      ],
      'ERR_MODULE_NOT_FOUND',
      'ERR_MODULE_NOT_FOUND',
    ]);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
}, 60_000);

it('documents the routes through the openapi subpath when @nestjs/swagger is installed', () => {
  writeFileSync(
    join(appDir, 'openapi.mjs'),
    `
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiProperty, DocumentBuilder } from '@nestjs/swagger';
import { LastEventId, Sse, SseEvents, SseModule } from 'nest-event-stream';
import { createSseDocument } from 'nest-event-stream/openapi';

class TickDto {}
Reflect.decorate([ApiProperty({ type: Number })], TickDto.prototype, 'n');
class Feed {
  stream(lastEventId) { return [{ event: 'tick', data: { n: 1 }, id: '1' }]; }
}
LastEventId()(Feed.prototype, 'stream', 0);
const d = Reflect.decorate([Sse('feed'), SseEvents({ tick: TickDto })], Feed.prototype, 'stream', Object.getOwnPropertyDescriptor(Feed.prototype, 'stream'));
Object.defineProperty(Feed.prototype, 'stream', d);
Controller()(Feed);
class AppModule {}
Module({ imports: [SseModule.forRoot()], controllers: [Feed] })(AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
await app.init();
const document = createSseDocument(app, new DocumentBuilder().setTitle('t').setOpenAPIVersion('3.2.0').build());
await app.close();
const get = document.paths['/feed'].get;
console.log(JSON.stringify({
  content: get.responses['200'].content,
  headers: get.parameters.map((p) => p.name),
  events: document.components.schemas.Feed_stream_Event.oneOf.map((e) => e.title),
  tick: document.components.schemas.TickDto,
}));
`,
  );
  const out = JSON.parse(execFileSync('node', ['openapi.mjs'], { cwd: appDir, encoding: 'utf8' })) as Record<string, unknown>;
  expect(out).toEqual({
    content: {
      'text/event-stream': {
        itemSchema: { $ref: '#/components/schemas/Feed_stream_Event' },
        schema: { type: 'array', items: { $ref: '#/components/schemas/Feed_stream_Event' } },
      },
    },
    headers: ['Last-Event-ID'],
    events: ['tick', 'error'],
    tick: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  });
}, 60_000);

it('type-checks a TypeScript consumer against the shipped declarations', () => {
  writeFileSync(
    join(appDir, 'consumer.ts'),
    `
import { Controller, Module } from '@nestjs/common';
import { CleanUp, InjectCleanUp, LastEventId, Sse, SseEvent, SseHub, SseModule, type SseModuleOptions } from 'nest-event-stream';
import { connectSse, SseHttpError } from 'nest-event-stream/client';
import { readEvents } from 'nest-event-stream/testing';
import { RedisHubStore, RedisHubTransport, RedisUnreachableError } from 'nest-event-stream/redis';
import { createSseDocument } from 'nest-event-stream/openapi';
import { SseEvents, type SseEventStream, type SseEventsOf } from 'nest-event-stream';
import { DocumentBuilder } from '@nestjs/swagger';
import type { INestApplication } from '@nestjs/common';

const options: SseModuleOptions = { heartbeat: 10_000, retry: 2_000, maxPendingBytes: 1 << 20 };
export const scaled: SseModuleOptions = {
  store: new RedisHubStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'app', history: { maxEvents: 100 } }),
  transport: new RedisHubTransport({ url: 'redis://127.0.0.1:6379', keyPrefix: 'app', instanceTimeoutMs: 5000 }),
};
export const unreachable = RedisUnreachableError;

@Controller()
export class Feed {
  constructor(private readonly hub: SseHub) {}

  @Sse('room')
  room(@LastEventId() lastEventId?: string) {
    return this.hub.subscribe(['a', 'b'], { lastEventId, filter: (e) => e.meta === undefined });
  }

  @Sse('feed', { heartbeat: false })
  async *feed(cleanUp: CleanUp, @LastEventId() lastEventId?: string) {
    cleanUp.add(() => undefined);
    yield new SseEvent({ data: { lastEventId }, event: 'hello', id: '1' });
  }

  @Sse('other', { method: 'POST' })
  other(@InjectCleanUp() cleanUp: CleanUp) {
    return cleanUp.signal.aborted ? null : ['x'];
  }
}

const tickEvents = { tick: Number } as const;
type TickEvents = SseEventsOf<typeof tickEvents>;

@Controller()
export class Ticks {
  @Sse('ticks')
  @SseEvents(tickEvents, { ids: true })
  async *ticks(): SseEventStream<TickEvents> {
    yield { event: 'tick', data: 1, id: '1' };
  }
}

export const documented = (app: INestApplication) => createSseDocument(app, new DocumentBuilder().setOpenAPIVersion('3.2.0').build());

@Module({ imports: [SseModule.forRoot(options)], controllers: [Feed, Ticks] })
export class AppModule {}

export async function consume(url: string): Promise<number> {
  type Events = { tick: { n: number } };
  let total = 0;
  try {
    for await (const m of connectSse<Events>(url, { json: true, lastEventId: '1' })) {
      if (m.event === 'tick') total += m.data.n;
    }
  } catch (err) {
    if (err instanceof SseHttpError) return err.status;
  }
  const { status, events } = await readEvents(url, '/feed', { count: 1, timeout: 1000 });
  return total + status + events.length;
}
`,
  );
  writeFileSync(
    join(appDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
  execFileSync('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: appDir, encoding: 'utf8' });
}, 60_000);
