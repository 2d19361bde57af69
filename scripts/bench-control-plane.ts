/**
 * Control-plane benchmark, side by side in one run (DESIGN.md "Performance targets"):
 *
 * 1. kv writes through the HTTP API of 3 coordinators (real processes, fsync on), autocannon,
 *    64 connections, 10 s, `PUT /v1/kv/bench-<i>` to the leader; the same load against a
 *    3-member etcd through its HTTP gateway (`POST /v3/kv/put`). Writes per second (2xx only),
 *    non-2xx and errors apart, latency p50 and p99.
 * 2. Failover: 20 leader kills (SIGKILL) on each; milliseconds from the kill to the first write
 *    accepted by a survivor, p50 and max. The killed member restarts on its disk and is caught up
 *    before the next kill.
 *
 * Prints a table and writes bench/results/control-plane.json and the section of BENCHMARKS.md.
 * Needs `npm run build` (coordinators start through dist/cli/tremor.js) and etcd (Debian's
 * etcd-server, installed with apt-get when missing). Every process it starts is killed at the end,
 * also on failure and on Ctrl-C (scripts/bench/cleanup.ts). The parts live in scripts/bench/.
 */
import path from 'node:path';
import { benchEtcd } from './bench/etcd';
import { benchOurs } from './bench/ours';
import { buildReport, printTable, writeReport } from './bench/report';
import type { BenchOptions } from './bench/types';
import { ourVersion } from './bench/util';

const ROOT = path.resolve(__dirname, '..');

const USAGE = `usage: bench-control-plane [--duration S] [--connections N] [--kills N] [--warmup S]
         [--only ours|etcd] [--explain-ms MS] [--load-log-level L] [--keep]
  --duration S          load duration per system (10; 0 skips the load)
  --connections N       autocannon connections (64)
  --kills N             leader kills per system (20; 0 skips the failovers)
  --warmup S            warm-up load before the measured one, not counted (2)
  --only ours|etcd      run one system only (the report says the other was not run)
  --explain-ms MS       print the node logs around failovers slower than this (1000;
                        etcd at least 2000: its election timeout alone is 1 to 2 s)
  --load-log-level L    our coordinators' --log-level during the load (warn; at info
                        fastify logs two lines per request)
  --keep                keep data dirs and node logs (also TREMOR_KEEP_E2E_DIRS=1 or
                        E2E_KEEP_DIRS=1)`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): BenchOptions & { only: 'ours' | 'etcd' | null } {
  const o = {
    connections: 64,
    durationS: 10,
    warmupS: 2,
    kills: 20,
    keep: Boolean(process.env.TREMOR_KEEP_E2E_DIRS) || Boolean(process.env.E2E_KEEP_DIRS),
    explainMs: 1000,
    loadLogLevel: 'warn',
    only: null as 'ours' | 'etcd' | null,
  };
  const numeric: Record<string, 'connections' | 'durationS' | 'warmupS' | 'kills' | 'explainMs'> = {
    '--connections': 'connections',
    '--duration': 'durationS',
    '--warmup': 'warmupS',
    '--kills': 'kills',
    '--explain-ms': 'explainMs',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (flag === '--keep') {
      o.keep = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    if (flag === '--load-log-level') {
      o.loadLogLevel = value;
      continue;
    }
    if (flag === '--only') {
      if (value !== 'ours' && value !== 'etcd') usage(`--only must be ours or etcd, not ${value}`);
      o.only = value;
      continue;
    }
    const key = numeric[flag];
    if (key === undefined) usage(`unknown flag ${flag}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) usage(`${flag} must be a whole number >= 0, not ${value}`);
    if (key === 'connections' && n < 1) usage('--connections must be at least 1');
    o[key] = n;
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const ours = o.only === 'etcd' ? null : await benchOurs(o, ourVersion());
  const etcd = o.only === 'ours' ? null : await benchEtcd(o);
  const report = buildReport(o, ours, etcd);
  writeReport(ROOT, report);
  printTable(report);
  for (const f of [ours, etcd]) {
    if (f?.keptIn) console.log(`${f.system}: data dirs and logs kept in ${f.keptIn}`);
  }
  console.log(`written: bench/results/control-plane.json and the section of BENCHMARKS.md`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
