/**
 * Our side's processes: 3 coordinators and 2 workers started through dist/cli/tremor.js
 * (local/src/process-cluster.ts) on the benchmark's Redis, the benchmark flow applied, and the
 * probes the phases need: who owns which vnode, balance, a worker accepting events.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { ProcessCluster, type NodeProcess } from '../../../local/src/process-cluster';
import { trackDir, trackGroup, untrackDir, untrackGroup } from '../cleanup';
import { httpJson, progress, until } from '../util';
import { flowSpec, FLOW_ID } from './events';
import { ingestUrl, postJson } from './http-load';
import type { DataPlaneOptions } from './options';

export interface VnodeRow {
  readonly vnode: number;
  readonly owner: string | null;
  readonly epoch: number;
  readonly backlog: number;
}

const say = (line: string): void => progress('ours', line);

/**
 * Node 20 refuses `--cpu-prof` in NODE_OPTIONS (and the CLI passes no node flags), so in profile
 * mode the workers preload this hook: SIGUSR2 starts the inspector's profiler, the next SIGUSR2
 * stops it and writes DIR/worker-PID-N.cpuprofile, so a profile covers the measured window only.
 */
function profilerHook(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'cpu-prof-hook.js');
  writeFileSync(
    file,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
let running = false;
let n = 0;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.start');
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, res) => {
    if (err) return;
    n++;
    const out = path.join(${JSON.stringify(dir)}, 'worker-' + process.pid + '-' + n + '.cpuprofile');
    fs.writeFileSync(out, JSON.stringify(res.profile));
  });
});
`,
  );
  return file;
}

/**
 * Deletes every event-transport key of the benchmark flow (streams, epochs, backlogs,
 * checkpoints: `tremor:{FLOW/VNODE}:...`, worker/src/transport/redis/redis-keys.ts), as deleting
 * the flow would.
 */
export async function dropFlowKeys(redis: Redis): Promise<number> {
  let dropped = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `tremor:{${FLOW_ID}/*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) dropped += await redis.del(...keys);
  } while (cursor !== '0');
  return dropped;
}

/** Toggles the profiler of every worker (profile mode only). */
export function toggleProfilers(cluster: OursCluster): void {
  for (const w of cluster.workers) {
    if (w.child?.pid !== undefined) process.kill(w.child.pid, 'SIGUSR2');
  }
}

export class OursCluster {
  readonly pc: ProcessCluster;
  coordinators: NodeProcess[] = [];
  workers: NodeProcess[] = [];
  /** Probe events accepted (each reaches the sink like any other). */
  probes = 0;

  private constructor(
    private readonly o: DataPlaneOptions,
    redisUrl: string,
  ) {
    this.pc = new ProcessCluster({
      clusterName: 'bench',
      secret: 'bench-data-plane',
      vnodes: o.vnodes,
      redisUrl,
      workerTimeoutMs: o.workerTimeoutMs,
      // Workers log nothing per request or batch at info; the logs explain the kills.
      logLevel: 'info',
    });
  }

  static async start(o: DataPlaneOptions, redisUrl: string): Promise<OursCluster> {
    const c = new OursCluster(o, redisUrl);
    c.coordinators = await c.pc.define(3);
    if (!o.keep) trackDir(c.pc.directory);
    for (const n of c.coordinators) c.startNode(n);
    c.workers = [await c.pc.defineWorker(), await c.pc.defineWorker()];
    const hook = o.profileDir === null ? null : profilerHook(o.profileDir);
    for (const w of c.workers) {
      if (hook !== null) w.env = { NODE_OPTIONS: `--require ${hook}` };
      c.startNode(w);
    }
    say(`3 coordinators and 2 workers starting (logs in ${c.pc.directory})`);
    try {
      await c.ready();
    } catch (err) {
      console.error(await c.logTails());
      await c.stop();
      throw err;
    }
    return c;
  }

  private async ready(): Promise<void> {
    await this.balanced(
      this.workers.map((w) => w.name),
      60_000,
    );
    await until('the flow stored', 30_000, async () => {
      const r = await httpJson(`${this.api}/v1/flows/${FLOW_ID}`, 'PUT', flowSpec(), 5000);
      return r.status === 200 || r.status === 201 ? true : null;
    });
    // A worker answers 404 until it runs the flow.
    for (const w of this.workers) await this.accepting(w);
    say(`flow ${FLOW_ID} running on both workers, vnodes balanced`);
  }

  /** A coordinator's API, for cluster reads. */
  get api(): string {
    return (this.coordinators[0] as NodeProcess).api;
  }

  startNode(n: NodeProcess): void {
    this.pc.start(n);
    if (n.child?.pid !== undefined) trackGroup(n.child.pid);
  }

  async kill(n: NodeProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = n.child?.pid;
    await this.pc.kill(n, signal);
    if (pid !== undefined) untrackGroup(pid);
  }

  async vnodes(timeoutMs = 1000): Promise<VnodeRow[] | null> {
    const r = await httpJson(`${this.api}/v1/cluster/vnodes`, 'GET', undefined, timeoutMs);
    if (r.status !== 200) return null;
    const body = r.body as VnodeRow[] | { vnodes: VnodeRow[] };
    return Array.isArray(body) ? body : body.vnodes;
  }

  /** Vnodes by owner once they are spread over exactly `owners`, counts differing by at most one. */
  async balanced(owners: readonly string[], timeoutMs: number): Promise<Map<string, number[]>> {
    return until(`vnodes balanced over ${owners.join(', ')}`, timeoutMs, async () => {
      const rows = await this.vnodes();
      if (rows?.length !== this.o.vnodes) return null;
      const by = new Map<string, number[]>(owners.map((w) => [w, []]));
      for (const r of rows) {
        const list = r.owner === null ? undefined : by.get(r.owner);
        if (list === undefined) return null;
        list.push(r.vnode);
      }
      const counts = [...by.values()].map((l) => l.length);
      return Math.max(...counts) - Math.min(...counts) <= 1 ? by : null;
    });
  }

  /** Waits until `w` answers 202 to an ingest request (one event with a negative id). */
  async accepting(w: NodeProcess, timeoutMs = 30_000): Promise<void> {
    const probe = JSON.stringify([{ id: -1, key: 'probe', sent: Date.now(), pad: '' }]);
    await until(`${w.name} accepting events`, timeoutMs, async () => {
      if ((await postJson(ingestUrl(w.api), probe, 2000)) !== 202) return null;
      this.probes++;
      return true;
    });
  }

  async logTails(lines = 20): Promise<string> {
    return this.pc.logTails(lines);
  }

  async stop(): Promise<void> {
    const nodes = [...this.workers, ...this.coordinators];
    const pids = nodes.map((n) => n.child?.pid).filter((p): p is number => p !== undefined);
    if (this.o.keep) process.env.E2E_KEEP_DIRS = '1';
    await this.pc.stop();
    for (const pid of pids) untrackGroup(pid);
    if (!this.o.keep) untrackDir(this.pc.directory);
  }
}
