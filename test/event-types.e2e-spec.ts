/**
 * The typed event contract at compile time: test/types/event-contract.ts type-checks, so every
 * `// @ts-expect-error` in it (an undeclared event, a wrong payload, an untyped hub source, a
 * typo in a typed channel's publish, a client reading a field another event has) is an error
 * TypeScript reports. An expectation that stopped failing is an error too (TS2578).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.cwd());

it('type-checks the event contract fixture, with each @ts-expect-error caught', () => {
  const fixture = readFileSync(join(root, 'test/types/event-contract.ts'), 'utf8');
  expect((fixture.match(/^\s*\/\/ @ts-expect-error/gm) ?? []).length).toBeGreaterThanOrEqual(14);
  try {
    execFileSync('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'test/types/tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    });
  } catch (err) {
    throw new Error(`test/types does not type-check as expected:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
  }
}, 60_000);
