/**
 * The sample's API documentation: `/docs/json` (OpenAPI 3.2, from createSseDocument) validates
 * against the official OAS 3.2 schema with @seriousme/openapi-schema-validator, and Swagger UI
 * at `/docs`, opened in Debian's Chromium, shows the events of the SSE routes. Express and Fastify.
 */
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createSampleApp, type SamplePlatform } from '../sample/bootstrap.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/sample-page.js';

const PLATFORMS: SamplePlatform[] = ['express', 'fastify'];

/** The sample's SSE routes (operation id) and the events each one documents. */
const STREAMS: Record<string, { tag: string; events: string[] }> = {
  JobsController_events: { tag: 'jobs', events: ['progress', 'done', 'error'] },
  NotificationsController_events: { tag: 'notifications', events: ['message', 'error', 'sse-gap'] },
  ChatController_events: { tag: 'chat', events: ['message', 'join', 'leave', 'error', 'sse-gap'] },
  MetricsController_events: { tag: 'metrics', events: ['metrics', 'error'] },
  AnswersController_events: { tag: 'answers', events: ['prompt', 'token', 'done', 'stopped', 'error'] },
};

describe.each(PLATFORMS)('sample API docs (%s)', (platform) => {
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  let document: OpenAPIObject;

  beforeAll(async () => {
    app = await createSampleApp({ platform, logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    document = (await (await fetch(`${url}/docs/json`)).json()) as OpenAPIObject;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('serves an OpenAPI 3.2 document that validates against the OAS 3.2 schema', async () => {
    expect(document.openapi).toBe('3.2.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.2');
  });

  it('documents every SSE route of the sample as text/event-stream with its events', () => {
    const operations = Object.values(document.paths).flatMap((item) =>
      Object.values(
        item as Record<
          string,
          { operationId?: string; responses?: Record<string, { content?: Record<string, { itemSchema?: { $ref: string } }> }> }
        >,
      ),
    );
    const streams = operations.filter((op) => op.responses?.['200']?.content?.['text/event-stream']);
    expect(streams.map((op) => op.operationId).sort()).toEqual(Object.keys(STREAMS).sort());
    for (const op of streams) {
      const ref = op.responses?.['200'].content?.['text/event-stream'].itemSchema?.$ref ?? '';
      const union = document.components?.schemas?.[ref.split('/').pop() as string] as { oneOf: { title: string }[] };
      expect(union.oneOf.map((event) => event.title)).toEqual(STREAMS[op.operationId as string].events);
    }
  });

  it('snapshot: the job progress stream as the sample documents it', () => {
    if (platform !== 'express') return; // the same document on both; one snapshot
    expect((document.paths['/jobs/{id}/events'] as Record<string, unknown>).get).toMatchSnapshot('GET /jobs/{id}/events');
    expect(document.components?.schemas?.JobsController_events_Event).toMatchSnapshot('JobsController_events_Event');
  });

  it.each(Object.entries(STREAMS))('shows the events of %s in Swagger UI at /docs', async (operationId, { tag, events }) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(`${url}/docs`);
      const operation = `#operations-${tag}-${operationId}`;
      await page.click(`${operation} .opblock-summary`);
      await page.waitForSelector(`${operation} .responses-wrapper .response`);
      const text = (await page.textContent(operation)) ?? '';
      expect(text).toContain('text/event-stream');
      for (const event of events) expect(text).toContain(`"event": "${event}"`); // the example Swagger UI renders
      const rows = await page.$$eval(`${operation} .response[data-code="200"] .renderedMarkdown table tbody td:first-child code`, (cells) =>
        cells.map((c) => c.textContent),
      );
      expect(rows).toEqual(events); // the table of events in the 200 answer's description
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
