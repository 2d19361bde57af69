/**
 * Control-plane benchmark, side by side in one run (issue 3, DESIGN "Performance targets"):
 *
 * 1. kv writes through the HTTP API of 3 coordinators (fsync on), autocannon, 64 connections,
 *    10 s, sent to the leader; then the same load against a 3-member etcd through its HTTP gateway
 *    (`POST /v3/kv/put`). Writes per second (2xx only) and latency p50/p99.
 * 2. Failover: 20 leader kills (SIGKILL) on each; the time from the kill to the next accepted
 *    write, p50 and max. The killed member restarts on its disk and catches up before the next.
 *
 * Prints a table and writes bench/results/control-plane.json and the section of BENCHMARKS.md.
 * Flags: --duration S (10), --connections N (64), --kills N (20), --only ours|etcd.
 * Needs `npm run build` (the coordinators are started through dist/cli/tremor.js) and etcd
 * (Debian's etcd-server; installed with apt-get when missing and running as root).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../local/src/free-port';
import { ProcessCluster, type CoordinatorProcess } from '../local/src/process-cluster';

// autocannon ships no types; this is the part of its result we read.
interface LoadResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number; average: number };
}
interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<LoadResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const ROOT = path.resolve(__dirname, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '64'));
const KILLS = Number(arg('kills', '20'));
const ONLY = arg('only', 'both');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function httpJson(
  url: string,
  method: string,
  body?: unknown,
  timeoutMs = 1000,
): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? NaN;
}

interface SystemFigures {
  writesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  failoverMs: number[];
  failoverP50Ms: number;
  failoverMaxMs: number;
}

async function load(url: string, make: (i: number) => LoadRequest): Promise<LoadResult> {
  let i = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, ...make(i++) }) }],
  });
}

function figures(r: LoadResult, failover: number[]): SystemFigures {
  const sorted = [...failover].sort((a, b) => a - b);
  return {
    writesPerSecond: Math.round(r['2xx'] / DURATION),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    failoverMs: failover,
    failoverP50Ms: percentile(sorted, 50),
    failoverMaxMs: sorted.at(-1) ?? NaN,
  };
}

// ------------------------------------------------------------------ ours

async function ourLeader(nodes: readonly CoordinatorProcess[]): Promise<CoordinatorProcess> {
  return until('a coordinator leader', 30_000, async () => {
    for (const c of nodes.filter((n) => n.state === 'running')) {
      const s = await httpJson(`${c.api}/v1/status`, 'GET');
      const leader = (s.body as { leader?: string } | null)?.leader;
      const found = nodes.find((n) => n.address === leader && n.state === 'running');
      if (found) {
        const w = await httpJson(`${found.api}/v1/kv/bench-probe`, 'PUT', 1);
        if (w.status === 200) return found;
      }
    }
    return null;
  });
}

async function benchOurs(): Promise<SystemFigures> {
  const cluster = new ProcessCluster({
    clusterName: 'bench',
    secret: 'bench-secret',
    logLevel: 'warn',
  });
  try {
    const nodes = await cluster.define(3);
    for (const c of nodes) cluster.start(c);
    let leader = await ourLeader(nodes);
    console.log(`ours: leader ${leader.name}; load ${CONNECTIONS} connections for ${DURATION} s`);
    const r = await load(leader.api, (i) => ({
      method: 'PUT',
      path: `/v1/kv/bench-${i % 10_000}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: i }),
    }));
    console.log(
      `ours: ${Math.round(r['2xx'] / DURATION)} writes/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`,
    );
    const failover: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      leader = await ourLeader(nodes);
      const others = nodes.filter((c) => c !== leader);
      await cluster.kill(leader, 'SIGKILL');
      const t0 = performance.now();
      await until('a write after the kill', 30_000, async () => {
        for (const c of others) {
          const w = await httpJson(`${c.api}/v1/kv/failover`, 'PUT', k, 500);
          if (w.status === 200) return true;
        }
        return null;
      });
      failover.push(Math.round(performance.now() - t0));
      cluster.start(leader);
      const target = leader;
      await until('the restarted coordinator to catch up', 30_000, async () => {
        const a = await httpJson(`${target.api}/v1/kv/failover?stale=true`, 'GET');
        return a.status === 200 && (a.body as { value?: number }).value === k ? true : null;
      });
      console.log(`ours: kill ${k + 1}/${KILLS}: next write accepted after ${failover.at(-1)} ms`);
    }
    return figures(r, failover);
  } finally {
    await cluster.stop();
  }
}

// ------------------------------------------------------------------ etcd

interface EtcdMember {
  name: string;
  client: string;
  peerUrl: string;
  dir: string;
  child: ChildProcess | null;
  exit: Promise<void> | null;
}

function ensureEtcd(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  console.log('etcd not found: installing Debian etcd-server');
  execFileSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], { stdio: 'inherit' });
  return spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
}

class EtcdCluster {
  members: EtcdMember[] = [];
  private root = '';

  constructor(private readonly bin: string) {}

  async define(n: number): Promise<void> {
    this.root = await mkdtemp(path.join(os.tmpdir(), 'bench-etcd-'));
    for (let i = 1; i <= n; i++) {
      this.members.push({
        name: `e${i}`,
        client: `http://127.0.0.1:${await freePort()}`,
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        dir: path.join(this.root, `e${i}`),
        child: null,
        exit: null,
      });
    }
  }

  start(m: EtcdMember): void {
    const initial = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const child = spawn(
      this.bin,
      [
        '--name',
        m.name,
        '--data-dir',
        m.dir,
        '--listen-client-urls',
        m.client,
        '--advertise-client-urls',
        m.client,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'bench',
        '--log-level',
        'error',
      ],
      { detached: true, stdio: 'ignore' },
    );
    m.child = child;
    m.exit = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  async kill(m: EtcdMember): Promise<void> {
    const pid = m.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    await m.exit;
    m.child = null;
  }

  async leader(): Promise<EtcdMember> {
    return until('an etcd leader', 30_000, async () => {
      for (const m of this.members.filter((x) => x.child !== null)) {
        const s = await httpJson(`${m.client}/v3/maintenance/status`, 'POST', {});
        const b = s.body as { leader?: string; header?: { member_id?: string } } | null;
        if (s.status === 200 && b?.leader && b.leader === b.header?.member_id) return m;
      }
      return null;
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m)));
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function etcdPut(
  m: EtcdMember,
  key: string,
  value: string,
  timeoutMs: number,
): Promise<boolean> {
  const r = await httpJson(
    `${m.client}/v3/kv/put`,
    'POST',
    { key: b64(key), value: b64(value) },
    timeoutMs,
  );
  return r.status === 200;
}

async function benchEtcd(bin: string): Promise<SystemFigures & { version: string }> {
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  const etcd = new EtcdCluster(bin);
  try {
    await etcd.define(3);
    for (const m of etcd.members) etcd.start(m);
    let leader = await etcd.leader();
    await until('etcd writes', 30_000, async () =>
      (await etcdPut(leader, 'probe', '1', 1000)) ? true : null,
    );
    console.log(`etcd: leader ${leader.name}; load ${CONNECTIONS} connections for ${DURATION} s`);
    const r = await load(leader.client, (i) => ({
      method: 'POST',
      path: '/v3/kv/put',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        key: b64(`bench-${i % 10_000}`),
        value: b64(JSON.stringify({ n: i })),
      }),
    }));
    console.log(
      `etcd: ${Math.round(r['2xx'] / DURATION)} writes/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`,
    );
    const failover: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      leader = await etcd.leader();
      const others = etcd.members.filter((m) => m !== leader);
      await etcd.kill(leader);
      const t0 = performance.now();
      await until('an etcd write after the kill', 30_000, async () => {
        for (const m of others) if (await etcdPut(m, 'failover', String(k), 500)) return true;
        return null;
      });
      failover.push(Math.round(performance.now() - t0));
      etcd.start(leader);
      const target = leader;
      await until('the restarted etcd member', 30_000, async () => {
        const h = await httpJson(`${target.client}/health`, 'GET');
        return h.status === 200 ? true : null;
      });
      console.log(`etcd: kill ${k + 1}/${KILLS}: next write accepted after ${failover.at(-1)} ms`);
    }
    return { ...figures(r, failover), version };
  } finally {
    await etcd.stop();
  }
}

// ------------------------------------------------------------------ report

function writeReport(
  ours: SystemFigures | null,
  etcd: (SystemFigures & { version: string }) | null,
): void {
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? '',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    node: process.version,
    etcdVersion: etcd?.version ?? null,
    load: {
      tool: 'autocannon',
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      target: 'leader',
    },
    kills: KILLS,
    ours,
    etcd,
    writesRatioOursToEtcd:
      ours && etcd ? Number((ours.writesPerSecond / etcd.writesPerSecond).toFixed(2)) : null,
  };
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(ROOT, 'bench', 'results', 'control-plane.json'),
    JSON.stringify(result, null, 2) + '\n',
  );
  const row = (name: string, f: SystemFigures | null): string =>
    f === null
      ? `| ${name} | not run | | | | |`
      : `| ${name} | ${f.writesPerSecond} | ${f.latencyP50Ms} | ${f.latencyP99Ms} | ${f.failoverP50Ms} | ${f.failoverMaxMs} |`;
  const section = [
    '## Control plane: coordinators against etcd',
    '',
    `Measured ${result.date.slice(0, 10)} on ${result.machine.cpus} cores, Node ${result.node}, ${result.etcdVersion ?? 'etcd not run'}.`,
    `kv writes through the HTTP API, autocannon with ${CONNECTIONS} connections for ${DURATION} s against the leader of 3 members`,
    '(ours: `PUT /v1/kv/:key`, fsync on; etcd: `POST /v3/kv/put` on its gateway, default fsync); then',
    `${KILLS} SIGKILLs of the leader each: time from the kill to the next accepted write.`,
    '',
    '| system | writes/s | p50 ms | p99 ms | failover p50 ms | failover max ms |',
    '| --- | --- | --- | --- | --- | --- |',
    row('tremor coordinators', ours),
    row('etcd', etcd),
    '',
    `Ratio of writes per second, ours to etcd: ${result.writesRatioOursToEtcd ?? 'n/a'}. Targets: at or above etcd; failover p50 under 1 s, max under 2 s.`,
    '',
    'Reproduce: `npm run build && npm run bench:control-plane` (figures in `bench/results/control-plane.json`).',
    '',
  ].join('\n');
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const intro =
    "# Benchmarks\n\nFigures measured on the project's own machines; each section says how to reproduce it.\n\n";
  const current = existsSync(file) ? readFileSync(file, 'utf8') : intro;
  const start = current.indexOf('## Control plane: coordinators against etcd');
  let next = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
  if (next >= 0) next += 1;
  const updated =
    start < 0
      ? `${current.trimEnd()}\n\n${section}`
      : current.slice(0, start) + section + (next < 0 ? '' : `\n${current.slice(next)}`);
  writeFileSync(file, updated);
  console.log(`\n${section}`);
}

async function main(): Promise<void> {
  const ours = ONLY === 'etcd' ? null : await benchOurs();
  const etcd = ONLY === 'ours' ? null : await benchEtcd(ensureEtcd());
  writeReport(ours, etcd);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
