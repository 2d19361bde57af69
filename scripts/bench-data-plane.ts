/**
 * Data-plane benchmark, side by side in one run (DESIGN.md "Performance targets"):
 *
 * 1. Rounds (3) of the baseline then ours at max load, both on one Redis (appendonly no, no
 *    snapshots) started for the run. Baseline: a bare ioredis XADD / XREADGROUP / XACK loop with
 *    our batching, in two processes (scripts/bench/data-plane/baseline-process.ts). Ours: a fresh
 *    cluster per round, 3 coordinators and 2 workers as real processes, a flow with an http
 *    source, hash distribution on `event.key`, one `map`, and a `redis-stream` sink. The figure
 *    is events per second written to the output stream in the measured window; latency is each
 *    output entry's Redis id (ms) minus the event's `sent` (client clock at the request). Ratio of
 *    the medians, ours / baseline, target >= 0.7; the same per core used, and the CPU of every
 *    process, so that a busy shared machine shows in the figures.
 * 2. Ours again, open loop at half its median rate: p99 ingest-to-sink latency, target < 50 ms.
 * 3. 10 worker kills (SIGKILL) under a modest load: kill to every dead vnode processing again on
 *    the other worker, target `--worker-timeout-ms` (2000, the default) + 1 s; every accepted
 *    event delivered.
 *
 * Prints the figures, writes bench/results/data-plane.json and the "Data plane" section of
 * BENCHMARKS.md. Needs `npm run build` and Debian's redis-server. Every process it starts is killed
 * at the end, also on failure and on Ctrl-C. The parts live in scripts/bench/data-plane/.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { startRedis } from '../local/src/redis-server';
import { runBaseline } from './bench/data-plane/baseline';
import { dropFlowKeys, OursCluster } from './bench/data-plane/cluster';
import { balancedKeys, EventMaker } from './bench/data-plane/events';
import { killWorkers, type FailoverFigures } from './bench/data-plane/failover';
import { closeClients, Ids } from './bench/data-plane/http-load';
import { parseArgs } from './bench/data-plane/options';
import { oursAtRate, oursMax } from './bench/data-plane/ours';
import { describePhase, type PhaseFigures } from './bench/data-plane/phase';
import { summarizeProfiles } from './bench/data-plane/profile';
import {
  buildReport,
  median,
  printReport,
  writeReport,
  type Round,
} from './bench/data-plane/report';
import { ourVersion, progress } from './bench/util';

const ROOT = path.resolve(__dirname, '..');

/**
 * startRedis's child is not in a process group of its own: found by pid (also for the CPU
 * figures) and killed on any exit.
 */
function redisPidKilledOnExit(): number | null {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  });
  const pids = out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'redis-server')
    .map(([pid]) => Number(pid));
  process.once('exit', () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  });
  return pids[0] ?? null;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const server = await startRedis({ appendOnly: false });
  const redisPid = redisPidKilledOnExit();
  const redis = new Redis(server.url);
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  progress('setup', `redis-server ${redisVersion} on port ${server.port}, appendonly no`);
  let cluster: OursCluster | null = null;
  const rounds: Round[] = [];
  let half: PhaseFigures | null = null;
  let halfRate = 0;
  let kills: FailoverFigures | null = null;
  try {
    // Rounds alternate the sides, each ours on a fresh cluster, so that neither side runs next to
    // the other's idle processes and drift on the shared machine touches both alike.
    for (let r = 1; r <= o.rounds; r++) {
      const round: Round = { round: r, baseline: null, ours: null };
      rounds.push(round);
      if (o.only !== 'ours') {
        progress('baseline', `round ${r} of ${o.rounds}`);
        round.baseline = await runBaseline(redis, server.url, o, redisPid);
        progress('baseline', describePhase(round.baseline));
      }
      if (o.only === 'baseline') continue;
      progress('ours', `round ${r} of ${o.rounds}`);
      // A fresh cluster must not meet the last one's vnode epochs in Redis: it starts its epochs
      // from 1 again, and a consumer whose epoch is below the stored one is fenced for good.
      await dropFlowKeys(redis);
      cluster = await OursCluster.start(o, server.url);
      const tools = {
        cluster,
        redis,
        o,
        maker: new EventMaker(balancedKeys(o.vnodes), o.padBytes),
        ids: new Ids(),
        redisPid,
      };
      round.ours = await oursMax(tools);
      progress('ours', describePhase(round.ours));
      if (r === o.rounds && o.profileDir === null) {
        const measured = median(rounds.map((x) => x.ours?.sink.eventsPerSecond ?? NaN));
        halfRate = o.rate > 0 ? o.rate : Math.round(measured / 2);
        if (o.halfLoadS > 0 && halfRate > 0) {
          half = await oursAtRate(tools, halfRate, o.halfLoadS);
          progress('ours', `at ${halfRate} events/s: ${describePhase(half)}`);
        }
        if (o.kills > 0) kills = await killWorkers(tools);
      }
      await stopCluster(cluster, o.keep);
      cluster = null;
    }
  } catch (err) {
    if (cluster !== null) console.error(await cluster.logTails());
    throw err;
  } finally {
    if (cluster !== null) await stopCluster(cluster, o.keep);
    redis.disconnect();
    await server.stop();
    closeClients();
  }
  if (o.profileDir !== null) summarizeProfiles(o.profileDir);
  const report = buildReport({
    o,
    version: ourVersion(),
    redisVersion,
    rounds,
    half,
    halfRate,
    kills,
  });
  printReport(report);
  if (o.only === null && o.profileDir === null) {
    await writeReport(ROOT, report);
    console.log(
      'written: bench/results/data-plane.json and the "Data plane" section of BENCHMARKS.md',
    );
  } else {
    console.log('a partial run (--only or --profile): nothing written');
  }
}

async function stopCluster(cluster: OursCluster, keep: boolean): Promise<void> {
  const dir = cluster.pc.directory;
  await cluster.stop();
  if (keep) progress('ours', `data dirs and logs kept in ${dir}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
