/**
 * `npm run bench:heap [-- --only=id,id] [-- --streams=1000]`: what one idle stream holds, by
 * object. For each competitor: a heap snapshot after a full GC with one stream open, another with
 * `streams` more, and the objects only the second has (snapshot ids are stable within a process),
 * grouped by constructor or kind, per stream. Writes bench/results/idle-heap.md.
 */
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectResult } from './clients/client-main.js';
import { COMPETITORS, EXPRESS_ID, FLOOR_EXPRESS_ID, FLOOR_FASTIFY_ID } from './competitors.js';
import type { MemoryReading } from './servers/server-main.js';
import { withWorkers } from './workers.js';

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  name: string;
  count: number;
  bytes: number;
}

function readArg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** Objects of `after` absent from `before`, grouped by `type:name` (closures by their function name). */
function newObjects(beforeFile: string, afterFile: string): Group[] {
  const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotFile;
  const before = load(beforeFile);
  const fields = before.snapshot.meta.node_fields;
  const width = fields.length;
  const idAt = fields.indexOf('id');
  const known = new Set<number>();
  for (let i = idAt; i < before.nodes.length; i += width) known.add(before.nodes[i]!);
  const after = load(afterFile);
  const types = after.snapshot.meta.node_types[0];
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, Group>();
  for (let i = 0; i < after.nodes.length; i += width) {
    if (known.has(after.nodes[i + idAt]!)) continue;
    const type = types[after.nodes[i + typeAt]!]!;
    let name = after.strings[after.nodes[i + nameAt]!] ?? '';
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)';
    else if (type === 'number') name = '(heap numbers)';
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const group = groups.get(key) ?? { name: `${name} (${type})`, count: 0, bytes: 0 };
    group.count++;
    group.bytes += after.nodes[i + sizeAt]!;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}

/** Ours minus the floor of the same platform, by object: what the library itself keeps per idle stream. */
function overFloor(measured: Map<string, Group[]>, streams: number): string[] {
  const pairs: Array<[string, string, string]> = [
    ['Express', EXPRESS_ID, FLOOR_EXPRESS_ID],
    ['Fastify', 'nest-event-stream-fastify', FLOOR_FASTIFY_ID],
  ];
  const lines: string[] = [];
  for (const [platform, ours, floor] of pairs) {
    const a = measured.get(ours);
    const b = measured.get(floor);
    if (!a || !b) continue;
    const byName = (groups: Group[]) => new Map(groups.map((g) => [g.name, g]));
    const mine = byName(a);
    const base = byName(b);
    const rows = [...new Set([...mine.keys(), ...base.keys()])]
      .map((name) => {
        const x = mine.get(name);
        const y = base.get(name);
        return { name, count: ((x?.count ?? 0) - (y?.count ?? 0)) / streams, bytes: ((x?.bytes ?? 0) - (y?.bytes ?? 0)) / streams };
      })
      .sort((p, q) => q.bytes - p.bytes);
    const total = rows.reduce((sum, r) => sum + r.bytes, 0);
    lines.push(
      `## Ours minus the floor (${platform})`,
      '',
      `${total.toFixed(0)} bytes per idle stream that the library itself keeps (new objects in the snapshot, ours minus the floor's; rows under 24 bytes left out).`,
      '',
      '| object (kind) | count per stream | bytes per stream |',
      '|---|---:|---:|',
      ...rows
        .filter((r) => Math.abs(r.bytes) >= 24)
        .map((r) => `| ${r.name.replace(/\|/g, '\\|')} | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} |`),
      '',
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const streams = Number(readArg('streams') ?? 1000);
  const only = readArg('only')?.split(',');
  const competitors = COMPETITORS.filter((c) => !only || only.includes(c.id));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idle-heap-'));
  const lines: string[] = [
    '# What one idle stream holds',
    '',
    `\`npm run bench:heap\`: heap snapshots after a full GC with 1 stream open and with ${streams.toLocaleString('en-US')} more, heartbeat 15 s; objects only the second snapshot has, per stream (self size; V8's snapshot, so "system" entries are V8's internal structures).`,
    '',
  ];
  const measured = new Map<string, Group[]>();
  for (const competitor of competitors) {
    const summary = await withWorkers(competitor, 15_000, async (server, client) => {
      const connect = (count: number) =>
        client.call<ConnectResult>('connect', { port: server.info.port, path: '/fanout', count, concurrency: 64, latencyEvery: 0 });
      await connect(1);
      const beforeFile = path.join(dir, `${competitor.id}-before.heapsnapshot`);
      const afterFile = path.join(dir, `${competitor.id}-after.heapsnapshot`);
      const before = await server.call<MemoryReading>('heapSnapshot', { path: beforeFile });
      const result = await connect(streams);
      if (result.failed > 0) throw new Error(`${competitor.id}: ${result.failed} connections failed`);
      await server.call('waitForStreams', { atLeast: streams + 1, timeoutMs: 20_000 });
      const after = await server.call<MemoryReading>('heapSnapshot', { path: afterFile });
      await client.call('closeAll');
      const groups = newObjects(beforeFile, afterFile);
      if (!process.env.KEEP_SNAPSHOTS) {
        rmSync(beforeFile);
        rmSync(afterFile);
      } else console.log(`kept ${beforeFile} ${afterFile}`);
      return { groups, heapPerStream: (after.heapUsedBytes - before.heapUsedBytes) / streams };
    });
    measured.set(competitor.id, summary.groups);
    const total = summary.groups.reduce((sum, g) => sum + g.bytes, 0);
    lines.push(`## ${competitor.label}`, '');
    lines.push(
      `heapUsed difference: ${(summary.heapPerStream / 1024).toFixed(1)} KiB per stream; new objects in the snapshot: ${(total / streams / 1024).toFixed(1)} KiB per stream.`,
      '',
      '| object (kind) | per stream | bytes per stream |',
      '|---|---:|---:|',
    );
    for (const group of summary.groups) {
      const perStream = group.bytes / streams;
      if (perStream < 16) continue;
      lines.push(`| ${group.name.replace(/\|/g, '\\|')} | ${(group.count / streams).toFixed(2)} | ${perStream.toFixed(0)} |`);
    }
    lines.push('');
    console.log(`${competitor.id}: ${(total / streams / 1024).toFixed(1)} KiB per stream`);
  }
  if (!process.env.KEEP_SNAPSHOTS) rmSync(dir, { recursive: true, force: true });
  lines.push(...overFloor(measured, streams));
  const out = readArg('out') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', 'idle-heap.md');
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
