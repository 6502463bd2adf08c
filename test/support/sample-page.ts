/** Reads the sample page's state (mirrored in data-* attributes) from a Playwright page. */
import type { Page } from 'playwright-core';

export { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../sample/chromium.js';

export type StreamName = 'jobs' | 'notifications' | 'chat' | 'metrics' | 'answer';
export type StreamState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'unauthorized';

export interface StreamStatus {
  state: string;
  opens: number;
  errors: number;
  dupes: number;
  gaps: number;
  lastId: string | undefined;
}

export async function streamStatus(page: Page, name: StreamName): Promise<StreamStatus> {
  const data = await page.$eval(`[data-stream="${name}"]`, (el) => ({ ...(el as HTMLElement).dataset }));
  return {
    state: data.state ?? '',
    opens: Number(data.opens ?? 0),
    errors: Number(data.errors ?? 0),
    dupes: Number(data.dupes ?? 0),
    gaps: Number(data.gaps ?? 0),
    lastId: data.lastId,
  };
}

/** Waits until the stream's status dot shows `state`. */
export async function waitForStream(page: Page, name: StreamName, state: StreamState, timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(
    ([stream, wanted]) => document.querySelector<HTMLElement>(`[data-stream="${stream}"]`)?.dataset.state === wanted,
    [name, state] as const,
    { timeout: timeoutMs },
  );
}

export interface ChatLine {
  id: string;
  from: string;
  text: string;
}

/** The chat messages shown, oldest first (presence lines left out). */
export async function chatLines(page: Page): Promise<ChatLine[]> {
  return page.$$eval('#chat li.msg', (items) =>
    items.map((item) => ({
      id: (item as HTMLElement).dataset.id ?? '',
      from: item.querySelector('strong')?.textContent ?? '',
      text: item.querySelector('.text')?.textContent ?? '',
    })),
  );
}

/** `from: text` per chat message shown, oldest first. */
export async function chatMessages(page: Page): Promise<string[]> {
  return (await chatLines(page)).map((line) => `${line.from}: ${line.text}`);
}
