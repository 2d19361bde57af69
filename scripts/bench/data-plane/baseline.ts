/**
 * The baseline side: two forked processes (baseline-process.ts), each with half the producer
 * loops and the consumers of half the streams, on the same Redis, for the same warm-up and
 * measured window; measured from its output stream exactly as ours is.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { trackGroup, untrackGroup } from '../cleanup';
import { progress, sleep } from '../util';
import { CpuSampler } from './cpu';
import type { BaselineConfig, FromChild, ToChild } from './baseline-process';
import {
  balancedKeys,
  BASELINE_GROUP,
  BASELINE_OUT_STREAM,
  baselineStream,
  vnodeOf,
} from './events';
import type { DataPlaneOptions } from './options';
import { finishPhase, quietBefore, reporter, round2, XlenPoller, type PhaseFigures } from './phase';

const PROCESSES = 2;
const say = (line: string): void => progress('baseline', line);

class Child {
  readonly proc: ChildProcess;
  private readonly waiting = new Map<FromChild['type'], (m: FromChild) => void>();
  readonly exited: Promise<number | null>;
  /** Events its producers appended so far (reported every 100 ms). */
  produced = 0;

  constructor() {
    this.proc = fork(path.join(__dirname, 'baseline-process.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (this.proc.pid !== undefined) trackGroup(this.proc.pid);
    this.proc.on('message', (m: FromChild) => {
      if (m.type === 'progress') this.produced = m.produced;
      this.waiting.get(m.type)?.(m);
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      if (this.proc.pid !== undefined) untrackGroup(this.proc.pid);
    });
  }

  send(m: ToChild): void {
    this.proc.send(m);
  }

  /** The next message of `type`; rejects if the process exits first. */
  next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.set(type, (m) => resolve(m as Extract<FromChild, { type: T }>));
      void this.exited.then((code) => reject(new Error(`baseline process exited (${code})`)));
    });
  }
}

const streams = (vnodes: number): string[] =>
  Array.from({ length: vnodes }, (_, v) => baselineStream(v));

async function resetStreams(redis: Redis, vnodes: number): Promise<void> {
  await redis.del(BASELINE_OUT_STREAM, ...streams(vnodes));
  for (const s of streams(vnodes)) {
    await redis.xgroup('CREATE', s, BASELINE_GROUP, '0', 'MKSTREAM');
  }
}

export async function runBaseline(
  redis: Redis,
  url: string,
  o: DataPlaneOptions,
  redisPid: number | null,
): Promise<PhaseFigures> {
  await resetStreams(redis, o.vnodes);
  const keys = balancedKeys(o.vnodes);
  const children = Array.from({ length: PROCESSES }, () => new Child());
  try {
    const ready = children.map((c) => c.next('ready'));
    children.forEach((c, index) => {
      const config: BaselineConfig = {
        url,
        index,
        processes: PROCESSES,
        vnodes: o.vnodes,
        // The same total of producer loops as ours has HTTP clients.
        producers: Math.max(1, Math.round(o.connections / PROCESSES)),
        batch: o.batch,
        padBytes: o.padBytes,
        keys,
        window: o.window === 0 ? 0 : Math.max(1, Math.round(o.window / PROCESSES)),
      };
      c.send({ type: 'config', config });
    });
    await Promise.all(ready);
    await sleep(300); // the readers' connections open
    const pids = new Map<string, number[]>([['bench (polls)', [process.pid]]]);
    if (redisPid !== null) pids.set('redis', [redisPid]);
    children.forEach((c, i) => {
      if (c.proc.pid !== undefined) pids.set(`b${i + 1}`, [c.proc.pid]);
    });
    const quiet = await quietBefore('baseline', pids, o.quietWaitS);
    const loadBefore = round2(loadavg()[0] ?? NaN);
    const delivered = new XlenPoller(redis, BASELINE_OUT_STREAM);
    const stopReporting = reporter(
      'baseline',
      () => children.reduce((a, c) => a + c.produced, 0),
      () => delivered.count,
    );
    const startedAt = Date.now();
    const fromMs = startedAt + o.warmupS * 1000;
    const toMs = fromMs + o.durationS * 1000;
    say(
      `${PROCESSES} processes, ${o.connections} producer loops x ${o.batch} events per round, ` +
        `window ${o.window}, ${o.warmupS} s warm-up + ${o.durationS} s`,
    );
    const produced = children.map((c) => c.next('produced'));
    for (const c of children) c.send({ type: 'go', fromMs, untilMs: toMs });
    let cpu: CpuSampler | null = null;
    const mark = setTimeout(() => (cpu = new CpuSampler(pids)), fromMs - Date.now());
    const figures = await Promise.all(produced);
    clearTimeout(mark);
    const cpuShares = (cpu as CpuSampler | null)?.stop() ?? null;
    stopReporting();
    await delivered.stop();
    const accepted = figures.reduce((a, f) => a + f.produced, 0);
    const acceptedAtFrom = figures.reduce((a, f) => a + f.producedAtFrom, 0);
    const result = await finishPhase(redis, {
      stream: BASELINE_OUT_STREAM,
      fromMs,
      toMs,
      acceptedInWindow: accepted - acceptedAtFrom,
      ackMsInWindow: figures.flatMap((f) => f.ackMs),
      refused: {},
      accepted,
      loadBefore,
      vnodeOfKey: (k) => vnodeOf(k, o.vnodes),
      cpu: cpuShares,
      quiet,
    });
    const stopped = children.map((c) => c.next('stopped'));
    for (const c of children) c.send({ type: 'stop' });
    await Promise.all(stopped);
    return result;
  } finally {
    for (const c of children) {
      if (c.proc.exitCode === null && c.proc.pid !== undefined) {
        try {
          process.kill(-c.proc.pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    await Promise.all(children.map((c) => c.exited));
    await redis.del(BASELINE_OUT_STREAM, ...streams(o.vnodes));
  }
}
