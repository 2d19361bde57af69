/** The table on stdout, bench/results/control-plane.json and the section of BENCHMARKS.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchOptions, SystemFigures } from './types';
import { replaceSection } from './util';

const HEADING = '## Control plane: coordinators against etcd';

const TARGETS = {
  writes: 'writes/s at or above etcd (ratio >= 1)',
  failoverP50: 'failover p50 under 1000 ms',
  failoverMax: 'failover max under 2000 ms',
};

export interface Report {
  date: string;
  machine: { cpus: number; model: string; memoryGiB: number; kernel: string };
  node: string;
  ours: SystemFigures | null;
  etcd: SystemFigures | null;
  load: {
    tool: string;
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    target: string;
    /** Our coordinators' --log-level during the load. */
    oursLogLevel: string;
  };
  kills: number;
  writesRatioOursToEtcd: number | null;
  targets: Record<keyof typeof TARGETS, { target: string; met: boolean | null }>;
}

export function buildReport(
  o: BenchOptions,
  ours: SystemFigures | null,
  etcd: SystemFigures | null,
): Report {
  const ow = ours?.load?.writesPerSecond;
  const ew = etcd?.load?.writesPerSecond;
  const ratio =
    ow !== undefined && ew !== undefined && ew > 0 ? Number((ow / ew).toFixed(2)) : null;
  const fo = ours?.failover ?? null;
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? '',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      kernel: `${os.type()} ${os.release()}`,
    },
    node: process.version,
    ours,
    etcd,
    load: {
      tool: 'autocannon 8',
      connections: o.connections,
      durationSeconds: o.durationS,
      warmupSeconds: o.warmupS,
      target: 'the leader',
      oursLogLevel: o.loadLogLevel,
    },
    kills: o.kills,
    writesRatioOursToEtcd: ratio,
    targets: {
      writes: { target: TARGETS.writes, met: ratio === null ? null : ratio >= 1 },
      failoverP50: { target: TARGETS.failoverP50, met: fo === null ? null : fo.p50Ms < 1000 },
      failoverMax: { target: TARGETS.failoverMax, met: fo === null ? null : fo.maxMs < 2000 },
    },
  };
}

function table(r: Report): string[] {
  const head = [
    'system',
    'writes/s',
    'latency p50 ms',
    'latency p99 ms',
    'non-2xx',
    'errors',
    'failover p50 ms',
    'failover max ms',
  ];
  const row = (name: string, f: SystemFigures | null): string[] => {
    const l = f?.load ?? null;
    const v = f?.failover ?? null;
    const dash = 'not run';
    return [
      f === null ? name : `${name} ${f.version}`,
      l ? String(l.writesPerSecond) : dash,
      l ? String(l.latencyP50Ms) : dash,
      l ? String(l.latencyP99Ms) : dash,
      l ? String(l.non2xx) : dash,
      l ? String(l.errors + l.timeouts) : dash,
      v ? String(v.p50Ms) : dash,
      v ? String(v.maxMs) : dash,
    ];
  };
  const rows = [head, row('tremor coordinators', r.ours), row('etcd', r.etcd)];
  const widths = head.map((_, i) => Math.max(...rows.map((x) => (x[i] ?? '').length)));
  const fmt = (x: string[]): string =>
    `| ${x.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    fmt(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(fmt),
  ];
}

/** One line per system with failovers slow enough to have had their node logs kept. */
function slowLines(r: Report): string[] {
  const out: string[] = [];
  for (const [name, f] of [
    ['ours', r.ours],
    ['etcd', r.etcd],
  ] as const) {
    const v = f?.failover;
    if (!v || v.slow.length === 0) continue;
    out.push(
      `${name}: ${v.slow.length} of ${v.kills} failovers over ${v.explainedOverMs} ms ` +
        `(${v.slow.map((x) => `kill ${x.kill}: ${x.ms} ms`).join(', ')}); the node log lines around ` +
        'them were printed during the run and are in the JSON (`failover.slow`).',
    );
  }
  return out.length > 0 ? ['', ...out] : [];
}

function verdict(met: boolean | null): string {
  return met === null ? 'not measured' : met ? 'met' : '**not met**';
}

export function section(r: Report): string {
  const lines = [
    HEADING,
    '',
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpus} cores (${r.machine.model}), Node ${r.node}, ` +
      `etcd ${r.etcd?.version ?? 'not run'}. kv writes through the HTTP API of 3 members on loopback, ` +
      `autocannon with ${r.load.connections} connections for ${r.load.durationSeconds} s against the ` +
      `leader after a ${r.load.warmupSeconds} s warm-up, every write to a new key (ours: ` +
      '`PUT /v1/kv/bench-<i>`, fsync on; etcd: `POST /v3/kv/put` on its gateway, default settings, fsync ' +
      `on); then ${r.kills} SIGKILLs of the leader on each: milliseconds from the kill to the first write ` +
      'accepted by a survivor (writes sent to every survivor every 25 ms, 500 ms timeout each); the ' +
      'killed member restarts on its data dir and is caught up before the next kill.',
    '',
    ...table(r),
    '',
    `Writes per second, ours to etcd: ${r.writesRatioOursToEtcd ?? 'n/a'}.`,
    ...slowLines(r),
    '',
    'Targets:',
    '',
    `- ${TARGETS.writes}: ${verdict(r.targets.writes.met)}`,
    `- ${TARGETS.failoverP50}: ${verdict(r.targets.failoverP50.met)}`,
    `- ${TARGETS.failoverMax}: ${verdict(r.targets.failoverMax.met)}`,
    '',
    `Settings that matter for the comparison: our coordinators run the load at \`--log-level ${r.load.oursLogLevel}\` (at the default ` +
      '`info` fastify logs two lines per request) and the kills at `info`; our Raft elects after 500 to 1000 ms ' +
      "without heartbeats (50 ms tick), etcd's default after 1000 to 2000 ms (100 ms heartbeat), which is most of " +
      'the failover difference. The load tool, the coordinators and etcd share the same 2 cores.',
    '',
    'Reproduce: `npm run build && npm run bench:control-plane` (needs `etcd` on PATH, else it installs Debian ' +
      '`etcd-server` with apt-get when run as root); flags `--duration S`, `--connections N`, `--kills N`, ' +
      '`--warmup S`, `--only ours|etcd`, `--load-log-level L`, `--explain-ms MS`, `--keep` (keep data dirs and node logs). Every figure, each ' +
      'failover time and the node log lines around slow failovers are in `bench/results/control-plane.json`.',
    '',
  ];
  return lines.join('\n');
}

export function printTable(r: Report): void {
  console.log(`\n${table(r).join('\n')}\n`);
  console.log(`writes/s ratio ours/etcd: ${r.writesRatioOursToEtcd ?? 'n/a'}`);
  for (const t of Object.values(r.targets))
    console.log(`target: ${t.target}: ${verdict(t.met).replace(/\*/g, '')}`);
}

export function writeReport(root: string, r: Report): void {
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'control-plane.json'), JSON.stringify(r, null, 2) + '\n');

  const file = path.join(root, 'BENCHMARKS.md');
  const intro =
    "# Benchmarks\n\nFigures measured on the project's own machines; each section says how to reproduce it.\n\n";
  replaceSection(file, HEADING, section(r), intro);
}
