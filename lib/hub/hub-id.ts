/**
 * Hub event ids: `<ms>-<seq>`, the form of Redis Stream ids. `ms` is the wall-clock time the id
 * was assigned, `seq` counts ids assigned in the same millisecond; ids only grow (a clock that
 * steps back keeps the last `ms` and counts on). Because `ms` comes from the clock, an id is
 * never reused by a later process: a store can tell an id of its own lifetime from one of an
 * earlier one, which it does not know (and a resume from it gets the gap notice). Pure.
 */

export interface HubIdPoint {
  readonly ms: number;
  readonly seq: number;
}

const HUB_ID = /^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,15})$/;

/** The parts of an id, or `undefined` when it is not one (a client may send anything). */
export function parseHubId(id: string): HubIdPoint | undefined {
  const match = HUB_ID.exec(id);
  if (!match) return undefined;
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? { ms, seq } : undefined;
}

export function formatHubId(point: HubIdPoint): string {
  return `${point.ms}-${point.seq}`;
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function compareHubIds(a: HubIdPoint, b: HubIdPoint): number {
  return a.ms - b.ms || a.seq - b.seq;
}

/** Assigns strictly increasing ids from a clock. */
export class HubIdClock {
  private last: HubIdPoint | undefined;

  /**
   * @param clock Current time in ms.
   * @param floorMs The lowest `ms` an id may have (a store's birth: later than any id an earlier
   *   process could have assigned before this one started).
   */
  constructor(
    private readonly clock: () => number = Date.now,
    private floorMs = 0,
  ) {}

  /** No id from now on has an `ms` below `ms`. */
  raiseFloor(ms: number): void {
    if (ms > this.floorMs) this.floorMs = ms;
  }

  /** The newest id assigned, if any. */
  get newest(): HubIdPoint | undefined {
    return this.last;
  }

  next(): HubIdPoint {
    const now = Math.max(Math.floor(this.clock()), this.floorMs);
    const last = this.last;
    this.last = last && now <= last.ms ? { ms: last.ms, seq: last.seq + 1 } : { ms: now, seq: 0 };
    return this.last;
  }
}
