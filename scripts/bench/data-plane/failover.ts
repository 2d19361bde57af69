/**
 * Worker kills under load (CONTRACT §5 "Failover": a worker killed without warning has its vnodes
 * processing on other workers within `--worker-timeout-ms` plus 1 s).
 *
 * An open loop sends `failoverRate` events per second to the live workers, keys cycling over every
 * vnode. Each round: the dead worker's vnodes are read from GET /v1/cluster/vnodes, the worker
 * gets SIGKILL (its whole process group), and the output stream is followed: an event of a dead
 * vnode written by another worker (the flow writes `meta.vnode` and `meta.worker` into the output;
 * `vnode` is checked against hash32(key) mod vnodes) shows that vnode processing again, at its
 * entry's Redis time. Per kill: the first vnode back, every vnode back (the contract's figure), and
 * when the coordinators' vnode table showed them moved. The worker then restarts on its data dir,
 * and the next round waits until the vnodes are balanced again and the returned worker delivers
 * for each of its vnodes. Victims alternate between the two workers.
 *
 * At the end the load stops and every accepted (202) event must be in the output stream.
 */
import type { NodeProcess } from '../../../local/src/process-cluster';
import { OUT_STREAM, vnodeOf, type OutEvent } from './events';
import { LoadCounters, OpenLoop } from './http-load';
import { targets, type LoadTools } from './ours';
import { StreamFollower } from './sink-stream';
import { percentile, progress, sleep } from '../util';

const say = (line: string): void => progress('kills', line);

export interface KillRound {
  kill: number;
  worker: string;
  vnodes: number[];
  /** Kill to the coordinators' vnode table showing every dead vnode on another worker. */
  reassignedMs: number | null;
  /** Kill to the first event of a dead vnode written by another worker. */
  firstVnodeMs: number | null;
  /** Kill to the moment every dead vnode had delivered such an event. */
  allVnodesMs: number | null;
  /** Dead vnodes that delivered nothing within the round's timeout. */
  missing: number[];
  /** Restart to the returned worker delivering again for every vnode it owns. */
  returnMs: number | null;
}

export interface FailoverFigures {
  kills: number;
  workerTimeoutMs: number;
  rate: number;
  batch: number;
  rounds: KillRound[];
  allVnodes: { p50Ms: number; maxMs: number };
  firstVnode: { p50Ms: number; maxMs: number };
  reassigned: { p50Ms: number; maxMs: number };
  accepted: number;
  delivered: number;
  lost: number;
  duplicates: number;
  misplaced: number;
  refused: Record<string, number>;
}

interface Watch {
  readonly since: number;
  readonly vnodes: ReadonlySet<number>;
  /** Deliveries by anyone but `notBy` count. */
  readonly notBy: string | null;
  /** Deliveries by `by` only count (null: anyone). */
  readonly by: string | null;
  readonly first: Map<number, number>;
}

function stats(values: (number | null)[]): { p50Ms: number; maxMs: number } {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), maxMs: sorted.at(-1) ?? NaN };
}

export async function killWorkers(t: LoadTools): Promise<FailoverFigures> {
  const { cluster, o } = t;
  await t.redis.del(OUT_STREAM);
  const accepted = new Set<number>();
  const delivered = new Set<number>();
  let duplicates = 0;
  let misplaced = 0;
  let watch: Watch | null = null;

  const followerRedis = t.redis.duplicate();
  const follower = new StreamFollower(followerRedis, OUT_STREAM, (at, e: OutEvent) => {
    if (e.id < 0) return; // a probe
    if (delivered.has(e.id)) duplicates++;
    else delivered.add(e.id);
    if (vnodeOf(e.key, o.vnodes) !== e.vnode) misplaced++;
    const w = watch;
    if (w === null || at < w.since || !w.vnodes.has(e.vnode)) return;
    if (w.notBy !== null && e.worker === w.notBy) return;
    if (w.by !== null && e.worker !== w.by) return;
    if (!w.first.has(e.vnode)) w.first.set(e.vnode, at);
  });

  const counters = new LoadCounters();
  const loop = new OpenLoop({
    targets: targets(cluster),
    eventsPerSecond: o.failoverRate,
    batch: o.failoverBatch,
    maker: t.maker,
    ids: t.ids,
    counters,
    onAccepted: (first, n) => {
      for (let id = first; id < first + n; id++) accepted.add(id);
    },
  });

  const waitFor = async (w: Watch, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (w.first.size < w.vnodes.size && Date.now() < deadline) await sleep(10);
  };

  const rounds: KillRound[] = [];
  say(
    `${o.kills} kills (SIGKILL) at ${o.failoverRate} events/s in requests of ${o.failoverBatch}, ` +
      `--worker-timeout-ms ${o.workerTimeoutMs}`,
  );
  try {
    await sleep(2000);
    for (let k = 0; k < o.kills; k++) {
      const victim = cluster.workers[k % cluster.workers.length] as NodeProcess;
      const others = cluster.workers.filter((w) => w !== victim).map((w) => w.name);
      const rows = await cluster.vnodes();
      const dead = (rows ?? []).filter((r) => r.owner === victim.name).map((r) => r.vnode);
      const killAt = Date.now();
      const current: Watch = {
        since: killAt,
        vnodes: new Set(dead),
        notBy: victim.name,
        by: null,
        first: new Map(),
      };
      watch = current;
      await cluster.kill(victim, 'SIGKILL');
      let reassignedMs: number | null = null;
      const reassigned = (async () => {
        const deadline = killAt + 15_000;
        while (Date.now() < deadline) {
          const now = await cluster.vnodes(500);
          if (
            now !== null &&
            dead.every((v) => {
              const owner = now[v]?.owner;
              return owner !== null && owner !== undefined && others.includes(owner);
            })
          ) {
            reassignedMs = Date.now() - killAt;
            return;
          }
          await sleep(25);
        }
      })();
      await waitFor(current, 15_000);
      await reassigned;
      const times = [...current.first.values()].map((at) => at - killAt);
      const round: KillRound = {
        kill: k + 1,
        worker: victim.name,
        vnodes: dead,
        reassignedMs,
        firstVnodeMs: times.length === 0 ? null : Math.min(...times),
        allVnodesMs: current.first.size === dead.length ? Math.max(...times) : null,
        missing: dead.filter((v) => !current.first.has(v)),
        returnMs: null,
      };
      // Back: the same node id and data dir; it gets its vnodes back (placement's rule).
      const restartAt = Date.now();
      cluster.startNode(victim);
      const by = await cluster.balanced(
        cluster.workers.map((w) => w.name),
        30_000,
      );
      const back: Watch = {
        since: restartAt,
        vnodes: new Set(by.get(victim.name) ?? []),
        notBy: null,
        by: victim.name,
        first: new Map(),
      };
      watch = back;
      await waitFor(back, 20_000);
      if (back.first.size === back.vnodes.size) round.returnMs = Date.now() - restartAt;
      watch = null;
      rounds.push(round);
      say(
        `kill ${k + 1} (${victim.name}, ${dead.length} vnodes): moved in the table after ` +
          `${round.reassignedMs ?? '-'} ms, first vnode processing after ${round.firstVnodeMs ?? '-'} ms, ` +
          `all after ${round.allVnodesMs ?? '-'} ms` +
          (round.missing.length > 0 ? `, vnodes ${round.missing.join(',')} NOT back` : '') +
          `; restarted and back in ${round.returnMs ?? '-'} ms`,
      );
      await sleep(500);
    }
  } finally {
    await loop.stop();
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && [...accepted].some((id) => !delivered.has(id))) {
    await sleep(100);
  }
  await follower.stop();
  followerRedis.disconnect();
  const lost = [...accepted].filter((id) => !delivered.has(id)).length;
  return {
    kills: o.kills,
    workerTimeoutMs: o.workerTimeoutMs,
    rate: o.failoverRate,
    batch: o.failoverBatch,
    rounds,
    allVnodes: stats(rounds.map((r) => r.allVnodesMs)),
    firstVnode: stats(rounds.map((r) => r.firstVnodeMs)),
    reassigned: stats(rounds.map((r) => r.reassignedMs)),
    accepted: accepted.size,
    delivered: delivered.size,
    lost,
    duplicates,
    misplaced,
    refused: counters.refused,
  };
}
