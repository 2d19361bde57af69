/**
 * Our side's load phases on a running cluster (cluster.ts):
 *
 * - max: `connections` HTTP clients in a closed loop, half to each worker, `batch` events per
 *   request, at most `window` events accepted and not yet at the sink; warm-up, then the measured
 *   window;
 * - at a rate: an open loop at a fixed number of events per second (half our max), for latency.
 *
 * Each phase starts from an empty output stream and ends when every accepted event is in it.
 */
import { loadavg } from 'node:os';
import type Redis from 'ioredis';
import { toggleProfilers, type OursCluster } from './cluster';
import { CpuSampler } from './cpu';
import { OUT_STREAM, vnodeOf, type EventMaker } from './events';
import { closedLoop, LoadCounters, OpenLoop, type Ids, type IngestTarget } from './http-load';
import type { DataPlaneOptions } from './options';
import {
  drain,
  finishPhase,
  quietBefore,
  reporter,
  round2,
  XlenPoller,
  type PhaseFigures,
} from './phase';
import { progress, sleep } from '../util';

const say = (line: string): void => progress('ours', line);

export interface LoadTools {
  readonly cluster: OursCluster;
  readonly redis: Redis;
  readonly o: DataPlaneOptions;
  readonly maker: EventMaker;
  readonly ids: Ids;
  readonly redisPid: number | null;
}

/** The processes whose CPU a phase of ours accounts. */
function ourPids(t: LoadTools): Map<string, number[]> {
  const pids = (nodes: { child: { pid?: number } | null }[]) =>
    nodes.map((n) => n.child?.pid).filter((p): p is number => p !== undefined);
  const m = new Map<string, number[]>([['bench (load)', [process.pid]]]);
  if (t.redisPid !== null) m.set('redis', [t.redisPid]);
  t.cluster.workers.forEach((w) => m.set(w.name, pids([w])));
  m.set('coordinators', pids(t.cluster.coordinators));
  return m;
}

export function targets(cluster: OursCluster): IngestTarget[] {
  return cluster.workers.map((w) => ({
    name: w.name,
    api: w.api,
    live: () => w.state === 'running',
  }));
}

/** Empties the output stream once the probes (and anything else accepted) arrived. */
async function freshStream(t: LoadTools, expected: number): Promise<void> {
  await drain(t.redis, OUT_STREAM, expected, 10_000);
  await t.redis.del(OUT_STREAM);
}

export async function oursMax(t: LoadTools): Promise<PhaseFigures> {
  const { o } = t;
  await freshStream(t, t.cluster.probes);
  const quiet = await quietBefore('ours', ourPids(t), o.quietWaitS);
  const loadBefore = round2(loadavg()[0] ?? NaN);
  const counters = new LoadCounters();
  const delivered = new XlenPoller(t.redis, OUT_STREAM);
  const stopReporting = reporter(
    'ours',
    () => counters.acceptedEvents,
    () => delivered.count,
  );
  const startedAt = Date.now();
  const fromMs = startedAt + o.warmupS * 1000;
  const toMs = fromMs + o.durationS * 1000;
  let atFrom = { accepted: 0, acks: 0 };
  let cpu: CpuSampler | null = null;
  const mark = setTimeout(() => {
    atFrom = { accepted: counters.acceptedEvents, acks: counters.ackMs.length };
    cpu = new CpuSampler(ourPids(t));
    if (o.profileDir !== null) toggleProfilers(t.cluster);
  }, fromMs - startedAt);
  say(
    `max load: ${o.connections} clients x ${o.batch} events per request, window ${o.window}, ` +
      `${o.warmupS} s warm-up + ${o.durationS} s`,
  );
  try {
    await closedLoop({
      targets: targets(t.cluster),
      connections: o.connections,
      batch: o.batch,
      untilMs: toMs,
      maker: t.maker,
      ids: t.ids,
      counters,
      maySend: () =>
        o.window === 0 ||
        counters.acceptedEvents + counters.pendingEvents - delivered.count < o.window,
    });
  } finally {
    clearTimeout(mark);
    if (o.profileDir !== null) toggleProfilers(t.cluster);
    stopReporting();
    await delivered.stop();
  }
  const cpuShares = (cpu as CpuSampler | null)?.stop() ?? null;
  return finishPhase(t.redis, {
    stream: OUT_STREAM,
    fromMs,
    toMs,
    acceptedInWindow: counters.acceptedEvents - atFrom.accepted,
    ackMsInWindow: counters.ackMs.slice(atFrom.acks),
    refused: counters.refused,
    accepted: counters.acceptedEvents,
    loadBefore,
    vnodeOfKey: (k) => vnodeOf(k, o.vnodes),
    cpu: cpuShares,
    quiet,
  });
}

/** An open loop at `eventsPerSecond` for `seconds` after a 2 s ramp. */
export async function oursAtRate(
  t: LoadTools,
  eventsPerSecond: number,
  seconds: number,
): Promise<PhaseFigures> {
  const { o } = t;
  await freshStream(t, 0);
  const quiet = await quietBefore('ours', ourPids(t), o.quietWaitS);
  const loadBefore = round2(loadavg()[0] ?? NaN);
  const counters = new LoadCounters();
  const delivered = new XlenPoller(t.redis, OUT_STREAM);
  const stopReporting = reporter(
    'ours',
    () => counters.acceptedEvents,
    () => delivered.count,
  );
  say(`open loop at ${eventsPerSecond} events/s (${o.batch} per request), 2 s ramp + ${seconds} s`);
  const loop = new OpenLoop({
    targets: targets(t.cluster),
    eventsPerSecond,
    batch: o.batch,
    maker: t.maker,
    ids: t.ids,
    counters,
  });
  await sleep(2000);
  const fromMs = Date.now();
  const atFrom = { accepted: counters.acceptedEvents, acks: counters.ackMs.length };
  const cpu = new CpuSampler(ourPids(t));
  await sleep(seconds * 1000);
  const toMs = Date.now();
  const cpuShares = cpu.stop();
  const atTo = { accepted: counters.acceptedEvents, acks: counters.ackMs.length };
  await loop.stop();
  stopReporting();
  await delivered.stop();
  if (loop.skipped > 0) say(`${loop.skipped} requests skipped: too many in flight`);
  return finishPhase(t.redis, {
    stream: OUT_STREAM,
    fromMs,
    toMs,
    acceptedInWindow: atTo.accepted - atFrom.accepted,
    ackMsInWindow: counters.ackMs.slice(atFrom.acks, atTo.acks),
    refused: counters.refused,
    accepted: counters.acceptedEvents,
    loadBefore,
    vnodeOfKey: (k) => vnodeOf(k, o.vnodes),
    cpu: cpuShares,
    quiet,
  });
}
