/**
 * Where the 2 cores went during a measured window: CPU time of each process the phase involves
 * (from /proc/PID/stat, user + system) and of the whole machine (/proc/stat), as percent of one
 * core. "other" is the machine's busy time not spent in those processes (other users of the
 * machine, the kernel's network stack for loopback, ...).
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export type CpuShares = Record<string, number>;

export class CpuSampler {
  private readonly start: Map<string, number | null>;
  private readonly machineStart = machineTicks();
  private readonly startedAt = performance.now();

  /** `pids`: name → pid of every process to account (several pids under one name are summed). */
  constructor(private readonly pids: ReadonlyMap<string, readonly number[]>) {
    this.start = new Map([...pids].map(([name, list]) => [name, sum(list)]));
  }

  /** Percent of one core per process name, `machine` (all busy) and `other`, since construction. */
  stop(): CpuShares {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const out: CpuShares = {};
    let ours = 0;
    for (const [name, list] of this.pids) {
      const before = this.start.get(name);
      const after = sum(list);
      if (before === null || before === undefined || after === null) continue;
      const pct = Math.round(((after - before) / TICKS_PER_S / seconds) * 100);
      out[name] = pct;
      ours += pct;
    }
    const m = machineTicks();
    const cores = (m.total - this.machineStart.total) / TICKS_PER_S / seconds;
    const busy = (m.busy - this.machineStart.busy) / TICKS_PER_S / seconds;
    out.machine = Math.round(busy * 100);
    out.other = Math.max(0, out.machine - ours);
    out.cores = Math.round(cores);
    return out;
  }
}

function sum(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const t = processTicks(pid);
    if (t === null) return null;
    total += t;
  }
  return total;
}

export function describeCpu(c: CpuShares): string {
  return Object.entries(c)
    .filter(([k]) => k !== 'cores')
    .map(([k, v]) => `${k} ${v} %`)
    .join(', ');
}

export interface QuietWait {
  waitedMs: number;
  /** CPU of other processes in the last second sampled, percent of one core. */
  otherPct: number;
  quiet: boolean;
}

/**
 * The build machines are shared: before a measured window, waits (up to `maxMs`) for a second in
 * which processes other than `ours` used less than `thresholdPct` of one core.
 */
export async function waitForQuiet(
  ours: ReadonlyMap<string, readonly number[]>,
  maxMs: number,
  thresholdPct = 25,
): Promise<QuietWait> {
  const started = Date.now();
  for (;;) {
    const sampler = new CpuSampler(ours);
    await new Promise((r) => setTimeout(r, 1000));
    const otherPct = sampler.stop().other ?? 0;
    const waitedMs = Date.now() - started;
    if (otherPct < thresholdPct || waitedMs >= maxMs) {
      return { waitedMs, otherPct, quiet: otherPct < thresholdPct };
    }
  }
}
