/**
 * Reading what reached an output stream. An entry's Redis id starts with the Redis server's clock
 * (ms) at the XADD, the moment the event became durable in the sink; the event carries `sent`,
 * the client's clock when its request was built (same machine, same clock). So id ms − `sent` is
 * ingest-to-sink latency, request building and HTTP included, and id ms − `ingest_ts` the part
 * after the source accepted it. (Redis keeps ids increasing: an id's ms is never earlier than the
 * XADD, at most later by the time Redis took to reach it.)
 */
import type Redis from 'ioredis';
import type { OutEvent } from './events';
import { percentile } from '../util';

type Entry = [id: string, fields: string[]];

export function idMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function parseOut(fields: readonly string[]): OutEvent {
  return JSON.parse(fields[1] as string) as OutEvent;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const arr = Array.from(sorted);
  const tenth = (x: number): number => Math.round(x * 10) / 10;
  return {
    count: arr.length,
    p50Ms: tenth(percentile(arr, 50)),
    p99Ms: tenth(percentile(arr, 99)),
    maxMs: tenth(arr.at(-1) ?? NaN),
    meanMs: arr.length === 0 ? NaN : Math.round((sum / arr.length) * 10) / 10,
  };
}

export interface WindowFigures {
  /** Events whose sink entry was written in [fromMs, toMs). */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Sink entry time − `sent` (client to sink). */
  latency: LatencySummary;
  /** Sink entry time − `ingest_ts` (accepted by the source to sink). */
  afterIngest: LatencySummary;
  /** Output events whose `vnode` is not hash32(key) mod vnodes. */
  misplaced: number;
}

/** Every entry written to `stream` in [fromMs, toMs), read in chunks after the load. */
export async function readWindow(
  redis: Redis,
  stream: string,
  fromMs: number,
  toMs: number,
  vnodeOfKey: (key: string) => number,
): Promise<WindowFigures> {
  const latency: number[] = [];
  const afterIngest: number[] = [];
  let misplaced = 0;
  let start = `${fromMs}-0`;
  for (;;) {
    const chunk = (await redis.xrange(stream, start, `(${toMs}-0`, 'COUNT', 10_000)) as Entry[];
    for (const [id, fields] of chunk) {
      const at = idMs(id);
      const e = parseOut(fields);
      latency.push(at - e.sent);
      afterIngest.push(at - e.ingest_ts);
      if (vnodeOfKey(e.key) !== e.vnode) misplaced++;
    }
    const last = chunk.at(-1);
    if (last === undefined || chunk.length < 10_000) break;
    start = `(${last[0]}`;
  }
  const seconds = (toMs - fromMs) / 1000;
  return {
    events: latency.length,
    seconds,
    eventsPerSecond: Math.round(latency.length / seconds),
    latency: summarize(latency),
    afterIngest: summarize(afterIngest),
    misplaced,
  };
}

/**
 * Follows a stream from its start on a connection of its own (blocking reads), handing every
 * entry to `onEntry` in order.
 */
export class StreamFollower {
  private stopped = false;
  private readonly loop: Promise<void>;
  private lastId = '0-0';

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly onEntry: (atMs: number, event: OutEvent) => void,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const reply = await this.redis.xread(
        'COUNT',
        5_000,
        'BLOCK',
        50,
        'STREAMS',
        this.stream,
        this.lastId,
      );
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        this.lastId = id;
        this.onEntry(idMs(id), parseOut(fields));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
