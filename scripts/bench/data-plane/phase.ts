/**
 * What a load phase measures, on either side: events written to the output stream in the measured
 * window (the end-to-end rate), their latencies, what the load got accepted in the same window,
 * and, once the load stopped and everything drained, whether every accepted event arrived.
 */
import { loadavg } from 'node:os';
import type Redis from 'ioredis';
import { describeCpu, waitForQuiet, type CpuShares, type QuietWait } from './cpu';
import { readWindow, summarize, type LatencySummary, type WindowFigures } from './sink-stream';
import { progress, sleep } from '../util';

export interface PhaseFigures {
  /** Events whose output entry was written in the window, per second: the figure compared. */
  sink: WindowFigures;
  /** Events accepted (202, or XADDed by a baseline producer) in the window, per second. */
  acceptedPerSecond: number;
  /** Request (or producer round) round trips in the window, ms. */
  ackMs: LatencySummary;
  /** Answers other than 202, by status (0: no answer). */
  refused: Record<string, number>;
  /** Whole phase, warm-up included, after the drain. */
  accepted: number;
  delivered: number;
  /** From the end of the load until every accepted event was in the output stream. */
  drainMs: number;
  /** Load average (1 min) at the start and end of the phase: other work on the machine. */
  loadAverage: { before: number; after: number };
  /** CPU during the measured window, percent of one core, by process (cpu.ts). */
  cpu: CpuShares | null;
  /** The wait for a quiet machine before the phase (null: not waited). */
  quiet: QuietWait | null;
}

/** XLEN of a stream, polled every 10 ms while the load runs (the window gate reads it). */
export class XlenPoller {
  count = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.count = await this.redis.xlen(this.stream);
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** Waits until `stream` holds at least `expected` entries; answers how long that took. */
export async function drain(
  redis: Redis,
  stream: string,
  expected: number,
  timeoutMs: number,
): Promise<{ ms: number; delivered: number }> {
  const started = Date.now();
  for (;;) {
    const delivered = await redis.xlen(stream);
    if (delivered >= expected || Date.now() - started > timeoutMs) {
      return { ms: Date.now() - started, delivered };
    }
    await sleep(20);
  }
}

/** Prints accepted and delivered rates every 2 s until stopped. */
export function reporter(
  system: string,
  accepted: () => number,
  delivered: () => number,
): () => void {
  let lastA = accepted();
  let lastD = delivered();
  const timer = setInterval(() => {
    const a = accepted();
    const d = delivered();
    progress(
      system,
      `accepted ${Math.round((a - lastA) / 2)}/s, at the sink ${Math.round((d - lastD) / 2)}/s, ` +
        `in flight ${a - d}`,
    );
    lastA = a;
    lastD = d;
  }, 2000);
  return () => clearInterval(timer);
}

export interface WindowedLoad {
  stream: string;
  fromMs: number;
  toMs: number;
  acceptedInWindow: number;
  ackMsInWindow: number[];
  refused: Record<string, number>;
  accepted: number;
  loadBefore: number;
  vnodeOfKey: (key: string) => number;
  cpu: CpuShares | null;
  quiet: QuietWait | null;
}

/** Drains, then reads the window from the output stream. */
export async function finishPhase(redis: Redis, l: WindowedLoad): Promise<PhaseFigures> {
  const drained = await drain(redis, l.stream, l.accepted, 60_000);
  const sink = await readWindow(redis, l.stream, l.fromMs, l.toMs, l.vnodeOfKey);
  return {
    sink,
    acceptedPerSecond: Math.round(l.acceptedInWindow / ((l.toMs - l.fromMs) / 1000)),
    ackMs: summarize(l.ackMsInWindow),
    refused: l.refused,
    accepted: l.accepted,
    delivered: drained.delivered,
    drainMs: drained.ms,
    loadAverage: { before: l.loadBefore, after: round2(loadavg()[0] ?? NaN) },
    cpu: l.cpu,
    quiet: l.quiet,
  };
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;

export function describePhase(f: PhaseFigures): string {
  const lost = f.accepted - f.delivered;
  return (
    `${f.sink.eventsPerSecond} events/s at the sink (${f.sink.events} in ${f.sink.seconds} s), ` +
    `accepted ${f.acceptedPerSecond}/s; ingest-to-sink p50 ${f.sink.latency.p50Ms} ms, ` +
    `p99 ${f.sink.latency.p99Ms} ms, max ${f.sink.latency.maxMs} ms; ack p99 ${Math.round(f.ackMs.p99Ms)} ms; ` +
    `drained in ${f.drainMs} ms, ${lost > 0 ? `${lost} accepted events MISSING` : 'every accepted event delivered'}` +
    (Object.keys(f.refused).length === 0
      ? ''
      : `; answers other than 202: ${JSON.stringify(f.refused)} (0: none)`) +
    (f.cpu === null ? '' : `\n    CPU (% of one core): ${describeCpu(f.cpu)}`)
  );
}

/** Waits for a quiet machine (DataPlaneOptions.quietWaitS) and says how it went. */
export async function quietBefore(
  system: string,
  ours: ReadonlyMap<string, readonly number[]>,
  maxS: number,
): Promise<QuietWait | null> {
  if (maxS <= 0) return null;
  const q = await waitForQuiet(ours, maxS * 1000);
  progress(
    system,
    q.quiet
      ? `machine quiet (other processes ${q.otherPct} % of a core) after ${q.waitedMs} ms`
      : `machine still busy after ${q.waitedMs} ms (other processes ${q.otherPct} % of a core); measuring anyway`,
  );
  return q;
}
