/**
 * `npm run bench:store`: what the hub's default store holds for an app with 10,000 channels and
 * 100 events published to each (a chat message of about 100 bytes), with default options; then
 * what is left once every channel has been idle for longer than `idleChannelMs`. Heap after a
 * full GC, minus before. Writes bench/results/store-memory.md (and prints it).
 */
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_IDLE_CHANNEL_MS, InMemoryHubStore, SseHub } from '../lib/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const CHANNELS = 10_000;
const EVENTS_PER_CHANNEL = 100;
const MiB = 1024 * 1024;

/** JS heap plus what Buffers hold outside it. */
function heapUsed(): number {
  gc();
  gc();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
}

let now = Date.now();
const store = new InMemoryHubStore({}, () => now);
const hub = new SseHub({ store });
const before = heapUsed();
const started = process.hrtime.bigint();
for (let round = 0; round < EVENTS_PER_CHANNEL; round++) {
  for (let c = 0; c < CHANNELS; c++) {
    void hub.publish(`room:${c}`, { from: `user${c % 97}`, text: `message ${round} in room ${c}: hello there, how is it going?` });
  }
  now += 10;
  await new Promise((resolve) => setImmediate(resolve));
}
const publishMs = Number(process.hrtime.bigint() - started) / 1e6;
const full = heapUsed() - before;
const heldEvents = store.size();
const heldChannels = store.channelCount;
const countedBytes = store.bytes;
// Every channel goes quiet past idleChannelMs; the next publish forgets them (lazily, no timers).
now += DEFAULT_IDLE_CHANNEL_MS + 1;
await hub.publish('room:after', 'wake up');
const idle = heapUsed() - before;

const published = CHANNELS * EVENTS_PER_CHANNEL;
const lines = [
  '# Hub store memory (default options)',
  '',
  `- Date: ${new Date().toISOString()}; Node.js ${process.version}; command: \`npm run bench:store\``,
  `- ${CHANNELS.toLocaleString('en')} channels × ${EVENTS_PER_CHANNEL} events = ${published.toLocaleString('en')} publishes of ~100-byte JSON messages through \`SseHub.publish()\` (${(published / (publishMs / 1000)).toFixed(0)} publishes/s)`,
  '',
  '| | value |',
  '|---|---:|',
  `| events held | ${heldEvents.toLocaleString('en')} of ${published.toLocaleString('en')} |`,
  `| channels held | ${heldChannels.toLocaleString('en')} |`,
  `| bytes counted against \`maxBytes\` (${DEFAULT_HISTORY_MAX_BYTES / MiB} MiB) | ${(countedBytes / MiB).toFixed(1)} MiB |`,
  `| memory held by the store (JS heap + Buffers, after GC, minus before) | ${(full / MiB).toFixed(1)} MiB |`,
  `| memory once every channel was idle past \`idleChannelMs\` | ${(idle / MiB).toFixed(1)} MiB (${store.channelCount} channel, ${store.tombstoneCount.toLocaleString('en')} tombstones) |`,
  '',
];
const text = lines.join('\n');
writeFileSync(new URL('../../bench/results/store-memory.md', import.meta.url), `${text}\n`);
console.log(text);
await hub.close();
