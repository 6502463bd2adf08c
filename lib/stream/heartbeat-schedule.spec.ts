import { jest } from '@jest/globals';
import { heartbeatSchedule, heartbeatTimerCount, type HeartbeatTarget } from './heartbeat-schedule.js';

/** A stream stand-in: records when it wrote (a frame or a heartbeat), in fake-clock ms. */
function target(now: () => number): HeartbeatTarget & { writes: number[]; write(): void } {
  const t = {
    lastActivityTick: 0,
    writes: [] as number[],
    sendHeartbeat() {
      t.writes.push(now());
    },
    write() {
      t.writes.push(now());
    },
  };
  return t;
}

function largestGap(times: number[], from: number, to: number): number {
  const points = [from, ...times, to];
  let largest = 0;
  for (let i = 1; i < points.length; i++) largest = Math.max(largest, points[i]! - points[i - 1]!);
  return largest;
}

describe('heartbeatSchedule', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps the silence between frames within the interval, whatever the writes in between', () => {
    const intervalMs = 1000;
    const schedule = heartbeatSchedule(intervalMs);
    const now = () => Date.now();
    const start = now();
    const stream = target(now);
    schedule.add(stream);
    // Writes at irregular times, with long silences in between.
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let elapsed = 0; elapsed < 60_000; elapsed += 10) {
      jest.advanceTimersByTime(10);
      if (random() < 0.004) {
        stream.write();
        stream.lastActivityTick = schedule.tick;
      }
    }
    schedule.delete(stream);
    expect(stream.writes.length).toBeGreaterThan(60);
    expect(largestGap(stream.writes, start, now())).toBeLessThanOrEqual(intervalMs);
  });

  it('a silent stream gets a heartbeat between 3/4 of the interval and the interval', () => {
    const schedule = heartbeatSchedule(2000);
    const now = () => Date.now();
    const start = now();
    const stream = target(now);
    schedule.add(stream);
    jest.advanceTimersByTime(20_000);
    schedule.delete(stream);
    const gaps = stream.writes.map((time, i) => time - (i === 0 ? start : stream.writes[i - 1]!));
    expect(gaps.length).toBeGreaterThanOrEqual(10);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(1500);
      expect(gap).toBeLessThanOrEqual(2000);
    }
  });

  it('runs one timer per interval in use, however many streams, and none when they are gone', () => {
    const before = heartbeatTimerCount();
    const now = () => Date.now();
    const streams = Array.from({ length: 1000 }, () => target(now));
    for (const stream of streams) heartbeatSchedule(15_000).add(stream);
    const other = target(now);
    heartbeatSchedule(5_000).add(other);
    expect(heartbeatTimerCount()).toBe(before + 2);
    expect(jest.getTimerCount()).toBe(2);
    jest.advanceTimersByTime(15_000);
    expect(streams.every((stream) => stream.writes.length === 1)).toBe(true);
    for (const stream of streams) heartbeatSchedule(15_000).delete(stream);
    heartbeatSchedule(5_000).delete(other);
    expect(heartbeatTimerCount()).toBe(before);
    expect(jest.getTimerCount()).toBe(0);
  });
});
