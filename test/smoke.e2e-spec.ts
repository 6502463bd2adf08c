import { Controller, Module } from '@nestjs/common';
import { of } from 'rxjs';
import { CleanUp, Sse, SseModule } from '../lib/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { openRaw } from './support/raw-http.js';

let cleaned = 0;

@Controller()
class SmokeController {
  @Sse('gen')
  async *gen(cleanUp: CleanUp) {
    cleanUp.add(() => cleaned++);
    yield 'a';
    yield { x: 1 };
  }

  @Sse('obs')
  obs() {
    return of({ data: 'hi', type: 'greet', id: '1' });
  }

  @Sse('none')
  none() {
    return null;
  }
}

@Module({ imports: [SseModule.forRoot()], controllers: [SmokeController] })
class SmokeModule {}

describe.each(PLATFORMS)('smoke (%s)', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(platform, SmokeModule);
  });
  afterAll(() => running.close());

  it('generator', async () => {
    const res = await openRaw(`${running.url}/gen`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await res.waitForEnd()).toBe('data: a\n\ndata: {"x":1}\n\n');
    expect(cleaned).toBeGreaterThan(0);
  });

  it('observable', async () => {
    const res = await openRaw(`${running.url}/obs`);
    expect(await res.waitForEnd()).toBe('event: greet\nid: 1\ndata: hi\n\n');
  });

  it('null', async () => {
    const res = await openRaw(`${running.url}/none`);
    expect(res.status).toBe(204);
  });
});
