/**
 * Our side: 3 coordinators as real processes (local/src/process-cluster.ts, started through
 * dist/cli/tremor.js), fsync always on in the WAL.
 *
 * - Load: a cluster at `--log-level warn` (at `info` fastify logs two lines per request; the
 *   flag `--load-log-level` changes it), the
 *   leader found through `GET /v1/status`, autocannon `PUT /v1/kv/bench-<i>`.
 * - Failover: a fresh cluster at `info`, so that the logs explain slow failovers; the leader is
 *   SIGKILLed, writes go to the survivors until one is accepted, the killed node restarts on its
 *   data dir and must be ready and caught up (`appliedRevision`) before the next kill.
 */
import { readFile } from 'node:fs/promises';
import { ProcessCluster, type CoordinatorProcess } from '../../local/src/process-cluster';
import { trackDir, trackGroup, untrackDir, untrackGroup } from './cleanup';
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
import { httpJson, progress, until } from './util';

const SYSTEM = 'ours';
const say = (line: string): void => progress(SYSTEM, line);

interface Status {
  nodeId: string;
  leader: string | null;
  term: number;
  appliedRevision: number;
  ready: boolean;
}

async function status(c: CoordinatorProcess, timeoutMs = 1000): Promise<Status | null> {
  const r = await httpJson(`${c.api}/v1/status`, 'GET', undefined, timeoutMs);
  return r.status === 200 ? (r.body as Status) : null;
}

async function put(
  c: CoordinatorProcess,
  key: string,
  value: unknown,
  timeoutMs: number,
): Promise<number | null> {
  const r = await httpJson(`${c.api}/v1/kv/${key}`, 'PUT', value, timeoutMs);
  if (r.status !== 200) return null;
  const revision = (r.body as { revision?: unknown } | null)?.revision;
  return typeof revision === 'number' ? revision : null;
}

/** The running node that says it leads and accepts a write. */
async function findLeader(nodes: readonly CoordinatorProcess[]): Promise<CoordinatorProcess> {
  return until('a coordinator leader', 30_000, async () => {
    for (const c of nodes.filter((n) => n.state === 'running')) {
      const s = await status(c);
      if (s === null || s.leader === null || s.leader !== c.address || !s.ready) continue;
      if ((await put(c, 'bench-probe', { probe: true }, 2000)) !== null) return c;
    }
    return null;
  });
}

class Cluster {
  pc: ProcessCluster;
  nodes: CoordinatorProcess[] = [];

  constructor(
    private readonly logLevel: string,
    private readonly keep: boolean,
  ) {
    this.pc = this.make();
  }

  private make(): ProcessCluster {
    return new ProcessCluster({
      clusterName: 'bench',
      secret: 'bench-secret',
      logLevel: this.logLevel,
    });
  }

  async startAll(): Promise<void> {
    // freePort closes its probe socket before the next call, so the OS may hand out a port twice
    // (seen once: two API ports alike, one node failing with EADDRINUSE): define again until the
    // six ports differ.
    for (let attempt = 1; ; attempt++) {
      this.nodes = await this.pc.define(3);
      const ports = this.nodes.flatMap((c) => [c.clusterPort, c.apiPort]);
      if (new Set(ports).size === ports.length) break;
      say(`the same free port was handed out twice (${ports.join(', ')}); defining again`);
      await this.pc.stop();
      if (attempt === 5) throw new Error('no six distinct free ports in five attempts');
      this.pc = this.make();
    }
    if (!this.keep) trackDir(this.pc.directory);
    for (const c of this.nodes) this.start(c);
  }

  start(c: CoordinatorProcess): void {
    this.pc.start(c);
    const pid = c.child?.pid;
    if (pid === undefined) return;
    trackGroup(pid);
    void c.exit?.then(() => untrackGroup(pid));
  }

  async logs(): Promise<{ node: string; text: string }[]> {
    return Promise.all(
      this.nodes.map(async (c) => ({
        node: c.name,
        text: await readFile(c.logFile, 'utf8').catch(() => ''),
      })),
    );
  }

  async stop(): Promise<void> {
    if (this.keep) process.env.E2E_KEEP_DIRS = '1';
    await this.pc.stop();
    if (!this.keep) untrackDir(this.pc.directory);
  }
}

async function measureLoad(o: BenchOptions, kept: string[]): Promise<LoadFigures> {
  const cluster = new Cluster(o.loadLogLevel, o.keep);
  try {
    await cluster.startAll();
    const leader = await findLeader(cluster.nodes);
    say(`3 coordinators up (${cluster.pc.directory}); leader ${leader.name} ${leader.address}`);
    const make = (i: number): LoadRequest => ({
      method: 'PUT',
      path: `/v1/kv/bench-${i}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: i }),
    });
    if (o.warmupS > 0) {
      say(`warm-up ${o.warmupS} s`);
      await runLoad({
        system: SYSTEM,
        url: leader.api,
        connections: o.connections,
        durationS: o.warmupS,
        make,
        quiet: true,
        firstIndex: 1_000_000_000,
      });
    }
    say(
      `load: ${o.connections} connections for ${o.durationS} s, PUT /v1/kv/bench-<i> to the leader`,
    );
    const f = await runLoad({
      system: SYSTEM,
      url: leader.api,
      connections: o.connections,
      durationS: o.durationS,
      make,
    });
    say(describeLoad(f));
    const after = await status(leader);
    if (after?.leader !== leader.address) {
      say(
        `the leader changed during the load: now ${after?.leader ?? 'unknown'} (term ${after?.term ?? '?'})`,
      );
    }
    if (o.keep) kept.push(cluster.pc.directory);
    return f;
  } catch (err) {
    console.error(await cluster.pc.logTails(20));
    throw err;
  } finally {
    await cluster.stop();
  }
}

async function caughtUp(c: CoordinatorProcess, revision: number): Promise<boolean> {
  const ready = await httpJson(`${c.api}/health/ready`, 'GET');
  if (ready.status !== 200) return false;
  const s = await status(c);
  return s !== null && s.leader !== null && s.appliedRevision >= revision;
}

async function measureFailover(o: BenchOptions, kept: string[]): Promise<FailoverFigures> {
  const cluster = new Cluster('info', o.keep);
  const ms: number[] = [];
  const slow: SlowFailover[] = [];
  try {
    await cluster.startAll();
    say(
      `failover: a fresh cluster at log level info (${cluster.pc.directory}); ${o.kills} leader kills`,
    );
    for (let k = 1; k <= o.kills; k++) {
      const leader = await findLeader(cluster.nodes);
      const survivors = cluster.nodes.filter((c) => c !== leader);
      const killedAtWall = Date.now();
      const killedAt = performance.now();
      const killed = cluster.pc.kill(leader, 'SIGKILL');
      const r = await firstAcceptedWrite({
        targets: survivors,
        killedAt,
        write: (c, timeoutMs) => put(c, `failover-${k}`, { kill: k }, timeoutMs),
      });
      await killed;
      ms.push(r.ms);
      // Restart on its disk; the next kill waits until it is ready and has applied everything
      // the new leader had applied.
      cluster.start(leader);
      const newLeader = await findLeader(cluster.nodes);
      const target = Math.max(r.value, (await status(newLeader))?.appliedRevision ?? 0);
      const t = performance.now();
      await until(`${leader.name} to be ready at revision ${target}`, 60_000, () =>
        caughtUp(leader, target).then((ok) => (ok ? true : null)),
      );
      say(
        `kill ${k}/${o.kills}: ${leader.name} killed, write accepted by ${r.target.name} after ` +
          `${r.ms} ms (${r.attempts} attempts); restarted and caught up in ${Math.round(performance.now() - t)} ms`,
      );
      if (r.ms > o.explainMs) {
        const log = mergedExcerpt(
          await cluster.logs(),
          killedAtWall,
          killedAtWall - 200,
          killedAtWall + r.ms + 20,
        );
        slow.push({ kill: k, ms: r.ms, log });
        say(
          `kill ${k} took over ${o.explainMs} ms; node logs around it:\n    ${log.join('\n    ')}`,
        );
      }
    }
    if (o.keep) kept.push(cluster.pc.directory);
    return failoverFigures(ms, slow, o.explainMs);
  } catch (err) {
    console.error(await cluster.pc.logTails(30));
    throw err;
  } finally {
    await cluster.stop();
  }
}

export async function benchOurs(o: BenchOptions, version: string): Promise<SystemFigures> {
  const kept: string[] = [];
  const load = o.durationS > 0 ? await measureLoad(o, kept) : null;
  const failover = o.kills > 0 ? await measureFailover(o, kept) : null;
  return {
    system: 'tremor coordinators',
    version,
    load,
    failover,
    keptIn: kept.length > 0 ? kept.join(', ') : null,
    notes: [
      'fsync on (always, in the WAL)',
      `load cluster at --log-level ${o.loadLogLevel} (at info fastify logs every request); failover cluster at info`,
      'Raft tick 50 ms: heartbeat 50 ms, election timeout 500 to 1000 ms',
    ],
  };
}
