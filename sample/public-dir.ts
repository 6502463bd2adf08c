/**
 * Finds `sample/public/` whether this file runs from the TypeScript source (ts-jest, ts-node) or
 * from `dist/sample/` after `npm run build`: `tsc` does not copy the page, so both layouts point
 * back at the one folder in the source tree.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = [
  './public/', // sample/public-dir.ts -> sample/public/
  '../../sample/public/', // dist/sample/public-dir.js -> sample/public/
];

export function resolvePublicDir(override = process.env.SAMPLE_PUBLIC_DIR): string {
  if (override) return override;
  for (const candidate of CANDIDATES) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(
    `The sample page (sample/public/index.html) was not found next to ${fileURLToPath(import.meta.url)}; ` +
      'run the sample from a checkout of the repository, or set SAMPLE_PUBLIC_DIR to the folder.',
  );
}
