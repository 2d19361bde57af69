/**
 * etcd's side, measured like ours: a 3-member cluster for the load (autocannon against the
 * leader's gateway, `POST /v3/kv/put`), then a fresh one for the leader kills, each killed
 * member restarted on its data dir and healthy and caught up before the next kill.
 */
import { EtcdCluster, ensureEtcd, etcdVersion, type EtcdMember } from './etcd-cluster';
import { firstAcceptedWrite } from './failover';
import { describeLoad, runLoad, type LoadFigures, type LoadRequest } from './load';
import { mergedExcerpt } from './logs';
import {
  failoverFigures,
  type BenchOptions,
  type FailoverFigures,
  type SlowFailover,
  type SystemFigures,
} from './types';
import { progress, until } from './util';

const SYSTEM = 'etcd';
const say = (line: string): void => progress(SYSTEM, line);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
// etcd's election timeout alone is 1 to 2 s: only failovers slower than that are explained.
const EXPLAIN_AT_LEAST_MS = 2000;
/** The raft and health lines of an etcd log; peer connection chatter left out. */
const RELEVANT =
  /leader|elect|vote|campaign|became|term|timed out|took too long|slow|fsync|unhealthy/i;
const relevant = (msg: string, level: unknown): boolean =>
  RELEVANT.test(msg) || level === 'error' || level === 'fatal';

async function startCluster(bin: string, keep: boolean): Promise<EtcdCluster> {
  const etcd = new EtcdCluster(bin, keep);
  await etcd.define(3);
  for (const m of etcd.members) etcd.start(m);
  const first = etcd.members[0];
  if (first === undefined) throw new Error('no etcd member');
  const gateway = await etcd.detectGateway(first);
  if (gateway !== '/v3') say(`the gateway answers at ${gateway}/ only, not /v3/: using ${gateway}`);
  return etcd;
}

async function measureLoad(
  bin: string,
  o: BenchOptions,
  kept: string[],
  notes: string[],
): Promise<LoadFigures> {
  const etcd = await startCluster(bin, o.keep);
  try {
    const leader = await etcd.leader();
    say(`3 members up (${etcd.directory}); leader ${leader.name} ${leader.client}`);
    notes.push(`gateway ${etcd.gateway}/kv/put`);
    const make = (i: number): LoadRequest => ({
      method: 'POST',
      path: `${etcd.gateway}/kv/put`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: b64(`bench-${i}`), value: b64(JSON.stringify({ n: i })) }),
    });
    if (o.warmupS > 0) {
      say(`warm-up ${o.warmupS} s`);
      await runLoad({
        system: SYSTEM,
        url: leader.client,
        connections: o.connections,
        durationS: o.warmupS,
        make,
        quiet: true,
        firstIndex: 1_000_000_000,
      });
    }
    say(
      `load: ${o.connections} connections for ${o.durationS} s, POST ${etcd.gateway}/kv/put to the leader`,
    );
    const f = await runLoad({
      system: SYSTEM,
      url: leader.client,
      connections: o.connections,
      durationS: o.durationS,
      make,
    });
    say(describeLoad(f));
    const after = await etcd.status(leader);
    if (after === null || after.leader !== after.memberId) {
      say(
        `the leader changed during the load (${leader.name} reports leader ${after?.leader ?? '?'})`,
      );
    }
    if (o.keep) kept.push(etcd.directory);
    return f;
  } finally {
    await etcd.stop();
  }
}

async function caughtUp(etcd: EtcdCluster, m: EtcdMember, revision: number): Promise<boolean> {
  if (!(await etcd.healthy(m))) return false;
  const s = await etcd.status(m);
  return s !== null && s.leader !== '0' && s.revision >= revision;
}

async function measureFailover(
  bin: string,
  o: BenchOptions,
  kept: string[],
): Promise<FailoverFigures> {
  const etcd = await startCluster(bin, o.keep);
  const ms: number[] = [];
  const slow: SlowFailover[] = [];
  try {
    say(`failover: a fresh cluster (${etcd.directory}); ${o.kills} leader kills`);
    for (let k = 1; k <= o.kills; k++) {
      const leader = await etcd.leader();
      const survivors = etcd.members.filter((m) => m !== leader);
      const killedAtWall = Date.now();
      const killedAt = performance.now();
      const killed = etcd.kill(leader);
      const r = await firstAcceptedWrite({
        targets: survivors,
        killedAt,
        write: (m, timeoutMs) => etcd.put(m, `failover-${k}`, String(k), timeoutMs),
      });
      await killed;
      ms.push(r.ms);
      etcd.start(leader);
      const newLeader = await etcd.leader();
      const target = Math.max(r.value, (await etcd.status(newLeader))?.revision ?? 0);
      const t = performance.now();
      await until(`${leader.name} to be healthy at revision ${target}`, 60_000, () =>
        caughtUp(etcd, leader, target).then((ok) => (ok ? true : null)),
      );
      say(
        `kill ${k}/${o.kills}: ${leader.name} killed, write accepted by ${r.target.name} after ` +
          `${r.ms} ms (${r.attempts} attempts); restarted and caught up in ${Math.round(performance.now() - t)} ms`,
      );
      if (r.ms > Math.max(o.explainMs, EXPLAIN_AT_LEAST_MS)) {
        const logs = await Promise.all(
          etcd.members.map(async (m) => ({ node: m.name, text: await etcd.log(m) })),
        );
        const log = mergedExcerpt(
          logs,
          killedAtWall,
          killedAtWall - 200,
          killedAtWall + r.ms + 20,
          relevant,
        );
        slow.push({ kill: k, ms: r.ms, log });
        say(
          `kill ${k} took over ${Math.max(o.explainMs, EXPLAIN_AT_LEAST_MS)} ms; member logs around it:\n    ${log.join('\n    ')}`,
        );
      }
    }
    if (o.keep) kept.push(etcd.directory);
    return failoverFigures(ms, slow, Math.max(o.explainMs, EXPLAIN_AT_LEAST_MS));
  } finally {
    await etcd.stop();
  }
}

export async function benchEtcd(o: BenchOptions): Promise<SystemFigures> {
  const bin = ensureEtcd(say);
  const version = etcdVersion(bin);
  say(`using ${bin}, etcd ${version}`);
  const kept: string[] = [];
  const notes = [
    'default settings: fsync on, heartbeat 100 ms, election timeout 1000 ms',
    'members log at info (their default)',
  ];
  const load = o.durationS > 0 ? await measureLoad(bin, o, kept, notes) : null;
  const failover = o.kills > 0 ? await measureFailover(bin, o, kept) : null;
  return {
    system: 'etcd',
    version,
    load,
    failover,
    keptIn: kept.length > 0 ? kept.join(', ') : null,
    notes,
  };
}
