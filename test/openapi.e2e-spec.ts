/**
 * nest-event-stream/openapi against @nestjs/swagger 12: every @Sse() route in the generated
 * document as an event stream, for OpenAPI 3.0, 3.1 and 3.2; each document validated by
 * @seriousme/openapi-schema-validator (the official OAS JSON Schemas), and what the routes really
 * send over HTTP validated against the events they document (ajv, JSON Schema 2020-12), on
 * Express and Fastify.
 */
import {
  Body,
  Controller,
  Injectable,
  Module,
  Param,
  Query,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { of } from 'rxjs';
import {
  LastEventId,
  Sse,
  SseEvent,
  SseEvents,
  SseHub,
  SseModule,
  ssePayload,
  type SseEventStream,
  type SseEventsOf,
} from '../lib/index.js';
import { createSseDocument } from '../lib/openapi/index.js';
import { readEvents } from '../lib/testing/index.js';
import { PLATFORMS, startApp, type RunningApp } from './support/platforms.js';
import { until } from './support/until.js';

class JobProgressDto {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ minimum: 0, maximum: 100, example: 50 }) percent!: number;
}

class JobDoneDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '/reports/42.pdf' }) url!: string;
}

class PromptDto {
  @ApiProperty({ example: 'Why is the sky blue?' }) prompt!: string;
}

class ChatMessageDto {
  @ApiProperty() from!: string;
  @ApiProperty() text!: string;
}

const jobEvents = { progress: JobProgressDto, done: JobDoneDto } as const;
type JobEvents = SseEventsOf<typeof jobEvents>;
const answerEvents = {
  token: String,
  words: [String],
  done: ssePayload<{ tokens: number }>({ type: 'object', properties: { tokens: { type: 'integer' } }, required: ['tokens'] }),
} as const;
const roomEvents = {
  message: ChatMessageDto,
  join: ssePayload<{ user: string }>({ type: 'object', properties: { user: { type: 'string' } }, required: ['user'] }),
} as const;
type RoomEvents = SseEventsOf<typeof roomEvents>;

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (request.headers.authorization !== 'Bearer demo') throw new UnauthorizedException();
    return true;
  }
}

@ApiTags('jobs')
@Controller('jobs')
class JobsController {
  @Sse(':id/progress')
  @SseEvents(jobEvents)
  @ApiBearerAuth()
  @UseGuards(TokenGuard)
  async *progress(@Param('id') id: string, @Query('steps') steps?: string, @LastEventId() lastEventId?: string): SseEventStream<JobEvents> {
    const total = Number(steps ?? 2);
    for (let step = lastEventId === undefined ? 1 : Number(lastEventId) + 1; step <= total; step++) {
      yield { event: 'progress', id: String(step), data: { id, percent: (step * 100) / total } };
    }
    yield new SseEvent({ event: 'done', id: 'done', data: { id, url: `/reports/${id}.pdf` } });
  }

  @Sse('answer', { method: 'POST' })
  @SseEvents(answerEvents, { description: 'Streams the answer token by token.' })
  async *answer(@Body() body: PromptDto): SseEventStream<SseEventsOf<typeof answerEvents>> {
    const words = body.prompt.split(' ');
    for (const word of words) yield { event: 'token', data: word };
    yield { event: 'words', data: words };
    yield { event: 'done', data: { tokens: words.length } };
  }

  @Sse('legacy')
  legacy() {
    return of({ data: 'anything', type: 'whatever' });
  }
}

@ApiTags('rooms')
@Controller('rooms')
class RoomsController {
  constructor(private readonly hub: SseHub) {}

  @Sse(':room/events', { heartbeat: 30_000, heartbeatEvent: 'ping' })
  @SseEvents(roomEvents, { resumable: 'hub', name: 'RoomEvent' })
  events(@Param('room') room: string, @LastEventId() lastEventId?: string) {
    return this.hub.channel<RoomEvents>(`room:${room}`).subscribe({ lastEventId, presence: { user: 'ann' }, presenceKey: 'ann' });
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeat: false })], controllers: [JobsController, RoomsController], providers: [TokenGuard] })
class DocsModule {}

const VERSIONS = ['3.0.0', '3.1.0', '3.2.0'] as const;

type Schema = Record<string, unknown>;
type Operation = { parameters?: Schema[]; responses: Record<string, Schema>; requestBody?: Schema; security?: unknown; tags?: string[] };

function operation(document: OpenAPIObject, path: string, method: string): Operation {
  return (document.paths as unknown as Record<string, Record<string, Operation>>)[path][method];
}

function documentOf(app: RunningApp['app'], version: string): OpenAPIObject {
  const config = new DocumentBuilder().setTitle('Docs test').setVersion('1').setOpenAPIVersion(version).addBearerAuth().build();
  return createSseDocument(app, config);
}

async function validate(document: OpenAPIObject): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as never);
  if (!result.valid) throw new Error(`invalid OpenAPI ${document.openapi} document:\n${JSON.stringify(result.errors, null, 2)}`);
  expect(validator.version).toBe(document.openapi.slice(0, 3));
}

/**
 * Validates received events against the route's documented item schema (3.2: `itemSchema`), and
 * each JSON payload against its `contentSchema` (an annotation JSON Schema does not check by itself).
 */
function eventChecker(
  document: OpenAPIObject,
  path: string,
  method: string,
): (event: { event: string; data: string; id: string | undefined }) => void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: document.components }, 'doc');
  const media = operation(document, path, method).responses['200'].content as Record<string, Schema>;
  const itemRef = (media['text/event-stream'].itemSchema as { $ref: string }).$ref.replace('#', 'doc#');
  const validateItem = ajv.compile({ $ref: itemRef });
  const component = document.components?.schemas?.[itemRef.split('/').pop() as string] as { oneOf?: Schema[]; anyOf?: Schema[] };
  const union = component.oneOf ?? component.anyOf ?? [];
  return ({ event, data, id }) => {
    const item = { ...(event === 'message' ? {} : { event }), data, ...(id !== undefined && { id }) };
    if (!validateItem(item)) throw new Error(`${JSON.stringify(item)} is not a documented event: ${ajv.errorsText(validateItem.errors)}`);
    const member = union.find((schema) => ((schema.properties as Record<string, Schema>).event.const ?? 'message') === event);
    const content = (member?.properties as Record<string, Schema> | undefined)?.data;
    if (content?.contentMediaType === 'application/json') {
      const validateData = ajv.compile({ $id: `data-${Math.random()}`, ...rewriteRefs(content.contentSchema as Schema) });
      if (!validateData(JSON.parse(data))) throw new Error(`${event} data ${data}: ${ajv.errorsText(validateData.errors)}`);
    }
  };
}

function rewriteRefs(schema: Schema): Schema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as Schema;
}

describe.each(PLATFORMS)('OpenAPI documentation of @Sse routes (%s)', (platform) => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(platform, DocsModule);
  });
  afterAll(() => running?.close());

  it.each(VERSIONS)('generates a valid OpenAPI %s document', async (version) => {
    const document = documentOf(running.app, version);
    expect(document.openapi).toBe(version);
    await validate(document);
    expect(Object.keys(document.paths).sort()).toEqual(['/jobs/answer', '/jobs/legacy', '/jobs/{id}/progress', '/rooms/{room}/events']);
  });

  it('describes each event with OpenAPI 3.2 itemSchema (snapshot of one route)', () => {
    const document = documentOf(running.app, '3.2.0');
    const progress = operation(document, '/jobs/{id}/progress', 'get');
    expect(progress).toMatchSnapshot('GET /jobs/{id}/progress');
    expect(document.components?.schemas?.JobsController_progress_Event).toMatchSnapshot('JobsController_progress_Event');
    expect(progress.responses['200'].content).toEqual({
      'text/event-stream': {
        itemSchema: { $ref: '#/components/schemas/JobsController_progress_Event' },
        schema: { type: 'array', items: { $ref: '#/components/schemas/JobsController_progress_Event' } },
      },
    });
  });

  it('keeps the request side as @nestjs/swagger documents it: params, query, body, security, tags', () => {
    const document = documentOf(running.app, '3.1.0');
    const progress = operation(document, '/jobs/{id}/progress', 'get');
    expect(progress.tags).toEqual(['jobs']);
    expect(progress.security).toEqual([{ bearer: [] }]);
    expect(progress.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:steps', 'header:Last-Event-ID']);
    expect(Object.keys(progress.responses).sort()).toEqual(['200', '204']);

    const answer = operation(document, '/jobs/answer', 'post');
    expect(answer.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/PromptDto' } } },
    });
    // A POST stream answers 200, not Nest's 201; it does not read Last-Event-ID.
    expect(Object.keys(answer.responses).sort()).toEqual(['200', '204']);
    expect(answer.parameters ?? []).toEqual([]);
    expect(answer.responses['200'].description).toMatch(/^Streams the answer token by token\./);
    expect(document.components?.schemas?.PromptDto).toBeDefined();
    expect(document.components?.schemas?.JobProgressDto).toBeDefined();
    expect(document.components?.schemas?.ChatMessageDto).toBeDefined();
  });

  it('uses the 3.0 and 3.1 forms: schema per event, enum (3.0) or const with contentSchema (3.1)', () => {
    const of30 = documentOf(running.app, '3.0.0');
    const of31 = documentOf(running.app, '3.1.0');
    const event = (doc: OpenAPIObject, name: string) =>
      (doc.components?.schemas?.JobsController_answer_Event as { oneOf: Schema[] }).oneOf.find((s) => s.title === name);
    expect(operation(of30, '/jobs/answer', 'post').responses['200'].content).toEqual({
      'text/event-stream': { schema: { $ref: '#/components/schemas/JobsController_answer_Event' } },
    });
    expect(event(of30, 'done')).toEqual({
      type: 'object',
      title: 'done',
      properties: {
        event: { type: 'string', enum: ['done'] },
        data: {
          description: 'JSON text of this schema, in the data lines',
          allOf: [{ type: 'object', properties: { tokens: { type: 'integer' } }, required: ['tokens'] }],
        },
      },
      required: ['event', 'data'],
    });
    expect(event(of31, 'done')).toEqual({
      type: 'object',
      title: 'done',
      properties: {
        event: { type: 'string', const: 'done' },
        data: {
          type: 'string',
          contentMediaType: 'application/json',
          contentSchema: { type: 'object', properties: { tokens: { type: 'integer' } }, required: ['tokens'] },
        },
      },
      required: ['event', 'data'],
    });
    expect(event(of31, 'token')).toMatchObject({ properties: { event: { const: 'token' }, data: { type: 'string' } } });
  });

  it('documents the hub gap notice, presence and heartbeat events of a hub route, and the error event everywhere', () => {
    const document = documentOf(running.app, '3.2.0');
    const names = (component: string) => {
      const union = document.components?.schemas?.[component] as { oneOf?: Schema[]; anyOf?: Schema[] };
      return (union.oneOf ?? union.anyOf ?? []).map((schema) => schema.title);
    };
    expect(names('RoomEvent')).toEqual(['message', 'join', 'error', 'sse-gap', 'ping']);
    expect(names('JobsController_progress_Event')).toEqual(['progress', 'done', 'error']);
    // A route without @SseEvents(): any event, as the spec's generic text/event-stream schema.
    // anyOf there, not oneOf: the generic event matches an error frame too.
    expect(names('JobsController_legacy_Event')).toEqual(['event', 'error']);
    expect(document.components?.schemas?.JobsController_legacy_Event).toHaveProperty('anyOf');
    expect(document.components?.schemas?.SseGapNotice).toBeDefined();
    expect(document.components?.schemas?.SseErrorData).toBeDefined();
    const description = operation(document, '/rooms/{room}/events', 'get').responses['200'].description as string;
    expect(description).toContain('| `sse-gap` | SseGapNotice (JSON) |');
    expect(description).toContain('| `message` | ChatMessageDto (JSON) | yes |');
  });

  it('leaves no trace on the controllers: a plain SwaggerModule.createDocument() afterwards is unchanged', () => {
    const config = new DocumentBuilder().setTitle('Docs test').build();
    const before = SwaggerModule.createDocument(running.app, config);
    documentOf(running.app, '3.2.0');
    const after = SwaggerModule.createDocument(running.app, config);
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toContain('x-nest-event-stream');
  });

  it('refuses a document version it cannot describe streams in', () => {
    const config = { ...new DocumentBuilder().setTitle('x').build(), openapi: '2.0' };
    expect(() => createSseDocument(running.app, config)).toThrow(/expected 3\.0\.x, 3\.1\.x or 3\.2\.x/);
  });

  it('documents what the routes really send (events read over HTTP validate against the document)', async () => {
    const document = documentOf(running.app, '3.2.0');
    const checkProgress = eventChecker(document, '/jobs/{id}/progress', 'get');
    const progress = await readEvents(running.url, '/jobs/42/progress?steps=3', {
      headers: { authorization: 'Bearer demo' },
      until: (e) => e.event === 'done',
    });
    expect(progress.events.map((e) => e.event)).toEqual(['progress', 'progress', 'progress', 'done']);
    progress.events.forEach(checkProgress);

    const checkAnswer = eventChecker(document, '/jobs/answer', 'post');
    const answer = await readEvents(running.url, '/jobs/answer', { body: { prompt: 'sky is blue' }, until: (e) => e.event === 'done' });
    expect(answer.events.map((e) => e.data)).toEqual(['sky', 'is', 'blue', '["sky","is","blue"]', '{"tokens":3}']);
    answer.events.forEach(checkAnswer);
    // [String]: an array of strings, not a reference to a "String" schema.
    expect(() => checkAnswer({ event: 'words', data: '[1]', id: undefined })).toThrow(/must be string/);

    // A route without @SseEvents(): its own events and an error frame both match what it documents.
    const checkLegacy = eventChecker(document, '/jobs/legacy', 'get');
    const legacy = await readEvents(running.url, '/jobs/legacy');
    expect(legacy.events.map((e) => [e.event, e.data])).toEqual([['whatever', 'anything']]);
    legacy.events.forEach(checkLegacy);
    checkLegacy({ event: 'error', data: '{"status":500,"message":"Internal server error"}', id: undefined });

    const checkRoom = eventChecker(document, '/rooms/{room}/events', 'get');
    const hub = running.app.get(SseHub);
    const reading = readEvents(running.url, '/rooms/1/events', { lastEventId: '1-0', count: 3 });
    await until(() => hub.connections('room:1') === 1, 2000, 'the subscriber');
    await hub.channel<RoomEvents>('room:1').publish('message', { from: 'bob', text: 'hi' });
    const room = await reading;
    expect(room.events.map((e) => e.event)).toEqual(['sse-gap', 'join', 'message']);
    room.events.forEach(checkRoom);

    // And a wrong event does not pass: the check is real.
    expect(() => checkProgress({ event: 'progress', data: '{"id":"1","percent":"half"}', id: '1' })).toThrow(/percent/);
    expect(() => checkProgress({ event: 'finished', data: '{}', id: '1' })).toThrow(/not a documented event/);
  });

  it('answers 401 before the stream for the guarded route (the request side the document shows)', async () => {
    expect((await readEvents(running.url, '/jobs/1/progress')).status).toBe(401);
  });
});
