/** The figures on stdout, bench/results/data-plane.json and the "Data plane" section of BENCHMARKS.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import type { CpuShares } from './cpu';
import type { FailoverFigures } from './failover';
import type { DataPlaneOptions } from './options';
import { replaceSection } from '../util';
import type { PhaseFigures } from './phase';

const HEADING = '## Data plane: ingest to sink against a bare Redis loop';

export interface Round {
  round: number;
  baseline: PhaseFigures | null;
  ours: PhaseFigures | null;
}

export interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

export interface Report {
  date: string;
  machine: { cpus: number; cpu: string; node: string; redis: string; os: string };
  version: string;
  settings: Record<string, string | number>;
  rounds: (Round & {
    ratio: number | null;
    /** Events/s per core the side's own processes used (load tool and Redis included). */
    baselinePerCore: number | null;
    oursPerCore: number | null;
    perCoreRatio: number | null;
  })[];
  /** Medians over the rounds of events/s at the sink. */
  baselineEventsPerSecond: number | null;
  oursEventsPerSecond: number | null;
  /** Median ours / median baseline, from the same run. */
  ratio: number | null;
  /** The same per core used: less sensitive to other work on a shared machine. */
  perCoreRatio: number | null;
  /** Output events (all phases) whose `vnode` was not hash32(key) mod vnodes. */
  misplaced: number;
  /** Ours, open loop at `halfLoad.offeredPerSecond` (half the median of ours). */
  halfLoad: (PhaseFigures & { offeredPerSecond: number }) | null;
  failover: FailoverFigures | null;
  targets: Target[];
}

export interface ReportInput {
  o: DataPlaneOptions;
  version: string;
  redisVersion: string;
  rounds: Round[];
  half: PhaseFigures | null;
  halfRate: number;
  kills: FailoverFigures | null;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1
    ? (v[mid] as number)
    : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Events/s per core of the side's own processes (machine busy minus other processes). */
function perCore(f: PhaseFigures | null): number | null {
  const own =
    f?.cpu === null || f?.cpu === undefined ? NaN : (f.cpu.machine ?? NaN) - (f.cpu.other ?? 0);
  if (f === null || !Number.isFinite(own) || own <= 0) return null;
  return Math.round(f.sink.eventsPerSecond / (own / 100));
}

const ratioOf = (a: number, b: number): number | null =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((100 * a) / b) / 100 : null;

function cpuName(): string {
  const model = os.cpus()[0]?.model ?? 'unknown';
  return /EPYC/.test(model) ? 'AMD EPYC' : model.trim();
}

/** Bytes of one event's JSON as the load sends it (ids of 6 digits, keys of 3 characters). */
function eventBytes(pad: number): number {
  return JSON.stringify({ id: 123456, key: 'k12', sent: Date.now(), pad: 'x'.repeat(pad) }).length;
}

export function buildReport(i: ReportInput): Report {
  const { o } = i;
  const side = (f: (r: Round) => PhaseFigures | null): number | null => {
    const values = i.rounds.map((r) => f(r)?.sink.eventsPerSecond ?? NaN);
    const m = median(values);
    return Number.isFinite(m) ? Math.round(m) : null;
  };
  const baselineEps = side((r) => r.baseline);
  const oursEps = side((r) => r.ours);
  const ratio = ratioOf(oursEps ?? NaN, baselineEps ?? NaN);
  const rounds = i.rounds.map((r) => {
    const baselinePerCore = perCore(r.baseline);
    const oursPerCore = perCore(r.ours);
    return {
      ...r,
      ratio: ratioOf(r.ours?.sink.eventsPerSecond ?? NaN, r.baseline?.sink.eventsPerSecond ?? NaN),
      baselinePerCore,
      oursPerCore,
      perCoreRatio: ratioOf(oursPerCore ?? NaN, baselinePerCore ?? NaN),
    };
  });
  const targets: Target[] = [];
  if (ratio !== null) {
    targets.push({
      target: 'events/s ingest to sink, ours / bare ioredis loop >= 0.7 (medians of the rounds)',
      measured: ratio.toFixed(2),
      met: ratio >= 0.7,
    });
  }
  if (i.half !== null) {
    targets.push({
      target: `p99 ingest-to-sink latency at half our max load (${i.halfRate} events/s) < 50 ms`,
      measured: `${i.half.sink.latency.p99Ms} ms`,
      met: i.half.sink.latency.p99Ms < 50,
    });
  }
  if (i.kills !== null) {
    const bound = i.kills.workerTimeoutMs + 1000;
    const max = i.kills.allVnodes.maxMs;
    const everyRound = i.kills.rounds.every((r) => r.allVnodesMs !== null);
    targets.push({
      target: `worker kill to all its vnodes processing again <= --worker-timeout-ms + 1 s (${bound} ms)`,
      measured: `p50 ${i.kills.allVnodes.p50Ms} ms, max ${max} ms${everyRound ? '' : ' (some vnodes never came back)'}`,
      met: everyRound && max <= bound,
    });
    targets.push({
      target: 'zero accepted events lost across the kills',
      measured: `${i.kills.lost} of ${i.kills.accepted} lost`,
      met: i.kills.lost === 0,
    });
  }
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: cpuName(),
      node: process.version,
      redis: i.redisVersion,
      os: `${os.type()} ${os.release()}`,
    },
    version: i.version,
    settings: {
      redis:
        'one redis-server for both sides, started for the run: --appendonly no, --save "" (no persistence)',
      cluster: `3 coordinators and 2 workers as processes (dist/cli/tremor.js), --no-of-vnodes ${o.vnodes}, --worker-timeout-ms ${o.workerTimeoutMs}, --log-level info; a fresh cluster per round`,
      flow: 'http source, hash distribution on event.key, pipeline [map] keeping id, key, sent, meta.ingest_ts, meta.vnode, meta.worker; redis-stream sink',
      baseline: `2 processes (forked); producers XADD one entry per vnode per round (JSON array of [event, ingest_ts] tuples) in one pipeline; a consumer loop per stream (${o.vnodes} streams, half per process): XREADGROUP COUNT 64 BLOCK 100, XADD of each event, mapped to the same fields, to the output stream in one pipeline, then XACK`,
      load: `ours: ${o.connections} HTTP/1.1 keep-alive clients (a minimal client on raw sockets, in the benchmark's process) in a closed loop, half to each worker; baseline: ${o.connections} producer loops, half per process; at most ${o.window} events accepted and not yet at the sink (both sides)`,
      rounds: o.rounds,
      durationS: o.durationS,
      warmupS: o.warmupS,
      connections: o.connections,
      batch: o.batch,
      window: o.window,
      eventBytes: eventBytes(o.padBytes),
      vnodes: o.vnodes,
      halfLoadS: o.halfLoadS,
      kills: o.kills,
      failoverRate: o.failoverRate,
      failoverBatch: o.failoverBatch,
      quietWaitS: o.quietWaitS,
    },
    rounds,
    baselineEventsPerSecond: baselineEps,
    oursEventsPerSecond: oursEps,
    ratio,
    perCoreRatio: ratioOf(
      median(rounds.map((r) => r.oursPerCore ?? NaN)),
      median(rounds.map((r) => r.baselinePerCore ?? NaN)),
    ),
    halfLoad: i.half === null ? null : { ...i.half, offeredPerSecond: i.halfRate },
    misplaced:
      i.rounds.reduce(
        (a, x) => a + (x.baseline?.sink.misplaced ?? 0) + (x.ours?.sink.misplaced ?? 0),
        0,
      ) +
      (i.half?.sink.misplaced ?? 0) +
      (i.kills?.misplaced ?? 0),
    failover: i.kills,
    targets,
  };
}

const verdict = (met: boolean | null): string =>
  met === null ? 'n/a' : met ? 'met' : '**not met**';
const dash = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : String(v);

function cpuLine(c: CpuShares | null | undefined): string {
  if (c === null || c === undefined) return '-';
  return Object.entries(c)
    .filter(([k]) => k !== 'cores' && k !== 'machine')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

export function section(r: Report): string {
  const s = r.settings;
  const lines: string[] = [HEADING, ''];
  lines.push(
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpus} cores (${r.machine.cpu}), Node ${r.machine.node}, redis-server ${r.machine.redis}, tremor ${r.version}, in one run: ` +
      `${String(s.rounds)} rounds, each the bare loop then ours, ${String(s.warmupS)} s warm-up then ${String(s.durationS)} s measured per side; both on one Redis (appendonly no, no snapshots). ` +
      `Events of about ${String(s.eventBytes)} bytes of JSON, ${String(s.batch)} per request or producer round, keys spread evenly over ${String(s.vnodes)} vnodes. ` +
      `Ours: ${String(s.cluster)}; ${String(s.flow)}. Load: ${String(s.load)}. Bare loop: ${String(s.baseline)}; no HTTP, Lua, fencing, checkpoint or trim.`,
  );
  lines.push('');
  lines.push(
    "Method: events/s = output-stream entries written during the measured window (by their Redis ids); latency = the entry's Redis id (ms, the server's clock at the sink's XADD) minus the event's `sent` (the client's clock when its request was built, same machine); \"after ingest\" = id minus `meta.ingest_ts`. After each phase the load stops and the run waits until every accepted event is in the output stream. " +
      `Every output event read was on the vnode hash32(key) mod ${String(s.vnodes)} names: ${r.misplaced === 0 ? 'yes' : `**no, ${r.misplaced} were not**`}. ` +
      "The load tool shares the 2 cores and its CPU counts against ours (the bare loop has none), hence a minimal HTTP/1.1 client on raw sockets: node:http's client cost about 200 µs of CPU per request here, a fifth of a core at our rate.",
  );
  lines.push('');
  lines.push(
    '| round | bare loop events/s | ours events/s | ours / bare | bare p99 ms | ours p99 ms | bare per core | ours per core | ours / bare per core | other processes, % of a core (bare / ours) |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of r.rounds) {
    lines.push(
      `| ${x.round} | ${dash(x.baseline?.sink.eventsPerSecond)} | ${dash(x.ours?.sink.eventsPerSecond)} | ${dash(x.ratio)} | ` +
        `${dash(x.baseline?.sink.latency.p99Ms)} | ${dash(x.ours?.sink.latency.p99Ms)} | ` +
        `${dash(x.baselinePerCore)} | ${dash(x.oursPerCore)} | ${dash(x.perCoreRatio)} | ` +
        `${dash(x.baseline?.cpu?.other)} / ${dash(x.ours?.cpu?.other)} |`,
    );
  }
  lines.push(
    `| median | ${dash(r.baselineEventsPerSecond)} | ${dash(r.oursEventsPerSecond)} | ${dash(r.ratio)} | | | | | ${dash(r.perCoreRatio)} | |`,
  );
  lines.push('');
  if (r.ratio !== null) {
    const thin =
      Math.abs(r.ratio - 0.7) < 0.05
        ? ' The margin to the 0.7 target is within what a few percent of CPU either way moves (see the rounds).'
        : '';
    lines.push(
      `Events per second, ours to the bare loop (medians of the rounds): **${r.ratio.toFixed(2)}**.${thin} ` +
        `Per core used (events/s divided by the CPU of the side's own processes: load tool, Redis, workers or baseline processes, coordinators), which other work on the shared machine disturbs less: ${dash(r.perCoreRatio)}.`,
      '',
    );
  }
  const others = r.rounds
    .flatMap((x) => [x.baseline?.cpu?.other, x.ours?.cpu?.other])
    .filter((v): v is number => v !== undefined);
  if (others.some((v) => v > 25)) {
    const span = (values: (number | null)[]): string => {
      const v = values.filter((x): x is number => x !== null);
      return v.length === 0 ? '-' : `${Math.min(...v)} to ${Math.max(...v)}`;
    };
    lines.push(
      `The machine was shared during this run: other processes used ${Math.min(...others)} to ${Math.max(...others)} % of a core in the measured windows. ` +
        `The ratio of rates moved from ${span(r.rounds.map((x) => x.ratio))} across rounds, the ratio per core used from ${span(r.rounds.map((x) => x.perCoreRatio))}; the latter is the steadier estimate of what a quiet machine would show.`,
      '',
    );
  }
  const last = r.rounds.at(-1);
  if (last !== undefined) {
    lines.push(
      `CPU during the last round's measured windows, % of one core: bare loop: ${cpuLine(last.baseline?.cpu)}; ours: ${cpuLine(last.ours?.cpu)} ("other" is every other process on the machine).`,
      '',
    );
  }
  const h = r.halfLoad;
  if (h !== null) {
    lines.push(
      `Ours at half its median rate, open loop (${h.offeredPerSecond} events/s, requests sent on schedule whatever the answers, latency from the scheduled time), 2 s ramp then ${String(s.halfLoadS)} s:`,
      '',
    );
    lines.push(
      '| events/s at the sink | latency p50 ms | p99 ms | max ms | after ingest p99 ms | 202 p99 ms | CPU % |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- |');
    lines.push(
      `| ${h.sink.eventsPerSecond} | ${h.sink.latency.p50Ms} | ${h.sink.latency.p99Ms} | ${h.sink.latency.maxMs} | ${h.sink.afterIngest.p99Ms} | ${Math.round(h.ackMs.p99Ms)} | ${cpuLine(h.cpu)} |`,
    );
    lines.push('');
  }
  const f = r.failover;
  if (f !== null) {
    lines.push(
      `Worker kills: ${f.kills} SIGKILLs of a worker (w1 and w2 in turn) while ${f.rate} events/s went to the live workers in requests of ${f.batch}; --worker-timeout-ms ${f.workerTimeoutMs}, the default. ` +
        'Measured from the kill to the first output entry, written by the other worker, of each vnode the dead worker owned (the flow writes `meta.vnode` and `meta.worker` into the output; each `vnode` is checked against hash32(key) mod vnodes); the worker then restarts on its data dir, and the next kill waits until it delivers for its vnodes again.',
      '',
    );
    lines.push('| failover | p50 ms | max ms |', '| --- | --- | --- |');
    lines.push(
      `| all of the dead worker's vnodes processing again | ${f.allVnodes.p50Ms} | ${f.allVnodes.maxMs} |`,
    );
    lines.push(
      `| its first vnode processing again | ${f.firstVnode.p50Ms} | ${f.firstVnode.maxMs} |`,
    );
    lines.push(
      `| coordinators' vnode table shows them moved | ${f.reassigned.p50Ms} | ${f.reassigned.maxMs} |`,
    );
    lines.push('');
    lines.push(
      `Accepted events across the kills: ${f.accepted}; lost: ${f.lost}; delivered twice: ${f.duplicates} (at least once: a dead worker's batch written to the sink but not acknowledged is replayed).`,
      '',
    );
  }
  lines.push('Targets:', '');
  for (const t of r.targets) lines.push(`- ${t.target}: ${t.measured}, ${verdict(t.met)}`);
  lines.push('');
  lines.push(
    "Reproduce: `npm run build && npm run bench:data-plane` (needs Debian's `redis-server`; 3 to 4 minutes); `--help` lists the flags (rounds, durations, clients, batch, window, vnodes, kills, `--only ours|baseline`, `--profile DIR` for the workers' CPU profiles, `--keep`). Every figure, the CPU per process and each kill are in `bench/results/data-plane.json`.",
  );
  return lines.join('\n') + '\n';
}

export function printReport(r: Report): void {
  console.log('');
  for (const x of r.rounds) {
    console.log(
      `round ${x.round}: bare loop ${dash(x.baseline?.sink.eventsPerSecond)} events/s, ours ${dash(x.ours?.sink.eventsPerSecond)} events/s, ratio ${dash(x.ratio)}; ` +
        `per core used ${dash(x.baselinePerCore)} and ${dash(x.oursPerCore)}, ratio ${dash(x.perCoreRatio)}; ` +
        `other processes ${dash(x.baseline?.cpu?.other)} % and ${dash(x.ours?.cpu?.other)} % of a core`,
    );
  }
  console.log(
    `median: bare loop ${dash(r.baselineEventsPerSecond)} events/s, ours ${dash(r.oursEventsPerSecond)} events/s, ratio ours / baseline ${dash(r.ratio)} (per core used: ${dash(r.perCoreRatio)})`,
  );
  const h = r.halfLoad;
  if (h !== null) {
    console.log(
      `ours at ${h.offeredPerSecond} events/s: p50 ${h.sink.latency.p50Ms} ms, p99 ${h.sink.latency.p99Ms} ms, max ${h.sink.latency.maxMs} ms (after ingest p99 ${h.sink.afterIngest.p99Ms} ms)`,
    );
  }
  const f = r.failover;
  if (f !== null) {
    console.log(
      `worker kills (${f.kills}): all vnodes back p50 ${f.allVnodes.p50Ms} ms, max ${f.allVnodes.maxMs} ms; ` +
        `first vnode p50 ${f.firstVnode.p50Ms} ms; table moved p50 ${f.reassigned.p50Ms} ms; ` +
        `accepted ${f.accepted}, lost ${f.lost}, duplicates ${f.duplicates}`,
    );
  }
  for (const t of r.targets) {
    console.log(`target: ${t.target}: ${t.measured}, ${verdict(t.met).replace(/\*/g, '')}`);
  }
}

export async function writeReport(root: string, r: Report): Promise<void> {
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'data-plane.json'), JSON.stringify(r, null, 2) + '\n');
  const file = path.join(root, 'BENCHMARKS.md');
  // Formatted as `prettier --check` wants it (tables aligned); the rest of the file untouched.
  const options = (await prettier.resolveConfig(file)) ?? {};
  const text = await prettier.format(section(r), { ...options, parser: 'markdown' });
  replaceSection(file, HEADING, text, '# Benchmarks\n');
}
