/**
 * Every `ts` code block of the README type-checks against the library. Whole modules (with
 * imports) compile as they are; a method fragment is compiled inside a controller class.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.cwd());

function blocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

const FRAGMENT_PRELUDE = `
import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { fromEvent, type Observable } from 'rxjs';
import { CleanUp, InjectCleanUp, LastEventId, Sse, SseEvent, SseHub, SseModule } from '../lib/index.js';
void [Body, Get, Param, Post, Query, fromEvent, InjectCleanUp, LastEventId, SseEvent, SseModule, SseHub, CleanUp, Sse];
type Observed = Observable<unknown>;
void (null as unknown as Observed);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
class PromptDto { prompt = ''; }
void PromptDto;
`;

it('type-checks every ts block of README.md', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const found = blocks(readme);
  expect(found.length).toBeGreaterThanOrEqual(3);
  const dir = mkdtempSync(join(root, '.readme-check-'));
  try {
    const files = found.map((code, i) => {
      const file = join(dir, `block-${i}.ts`);
      const rewritten = code.replace(
        /from 'nest-event-stream(\/[a-z]+)?'/g,
        (_m, sub: string | undefined) => `from '../lib${sub ?? ''}/index.js'`,
      );
      const isModule = /^import /m.test(rewritten);
      writeFileSync(
        file,
        isModule
          ? `${rewritten}\nexport {};\n`
          : `${FRAGMENT_PRELUDE}\n@Controller()\nexport class Fragment${i} {\n  [service: string]: Loose;\n  declare readonly hub: SseHub;\n${rewritten}\n}\n`,
      );
      return file;
    });
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '..', noUnusedLocals: false },
        include: [],
        files: files.map((f) => f.slice(dir.length + 1)),
      }),
    );
    try {
      execFileSync('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: root, encoding: 'utf8' });
    } catch (err) {
      const out = (err as { stdout?: string }).stdout ?? String(err);
      throw new Error(`README code blocks do not compile:\n${out}\n--- blocks ---\n${found.map((b, i) => `#${i}\n${b}`).join('\n')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
