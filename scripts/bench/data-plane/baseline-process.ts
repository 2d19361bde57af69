/**
 * One process of the baseline (forked by baseline.ts): a bare ioredis loop doing our data plane's
 * work with the same batching, nothing else: no HTTP, no Lua, no fencing, no checkpoint, no trim.
 *
 * - producers: each round builds `batch` events (the same JSON as the HTTP load sends), groups
 *   them by vnode (`hash32(key) mod vnodes`, as our hash distribution does), and XADDs one entry
 *   per vnode holding the JSON array of `[event, ingest_ts]` tuples (our entry format), all in one
 *   pipeline; the next round starts when Redis answered;
 * - consumers: one loop per stream this process owns (streams v with v mod processes = index),
 *   XREADGROUP COUNT 64 BLOCK 100 on a connection of its own, then XADD of each event, mapped to
 *   the same output fields as our flow's `map`, to the output stream in one pipeline (our
 *   redis-stream sink does the same), then, once Redis answered, XACK of the entries (at least
 *   once, as ours acknowledges after the sink write).
 *
 * Connections as in a worker: one for appends and acknowledgements, one for the sink, one per
 * stream for the blocking reads.
 *
 * Protocol with the parent (IPC): config → 'ready'; go { fromMs, untilMs } → producers run until
 * untilMs (reporting progress every 100 ms), then { produced, producedAtFrom, ackMs }; stop →
 * consumers finish their batch, then the process exits.
 */
import Redis from 'ioredis';
import {
  BASELINE_GROUP,
  BASELINE_OUT_STREAM,
  baselineStream,
  EventMaker,
  vnodeOf,
  type BenchEvent,
  type OutEvent,
} from './events';

export interface BaselineConfig {
  readonly url: string;
  readonly index: number;
  readonly processes: number;
  readonly vnodes: number;
  readonly producers: number;
  readonly batch: number;
  readonly padBytes: number;
  readonly keys: readonly string[];
  /** Own produced − own consumed events beyond which producers wait; 0: no limit. */
  readonly window: number;
}

export type ToChild =
  | { readonly type: 'config'; readonly config: BaselineConfig }
  | { readonly type: 'go'; readonly fromMs: number; readonly untilMs: number }
  | { readonly type: 'stop' };

export type FromChild =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly produced: number }
  | {
      readonly type: 'produced';
      readonly produced: number;
      readonly producedAtFrom: number;
      readonly ackMs: number[];
    }
  | { readonly type: 'stopped'; readonly consumed: number };

type Entries = [id: string, fields: string[]][];
type Tuple = [BenchEvent, number];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function send(m: FromChild): void {
  process.send?.(m);
}

class BaselineProcess {
  private readonly name: string;
  private readonly main: Redis;
  private readonly sink: Redis;
  private readonly readers: Redis[] = [];
  private readonly consumers: Promise<void>[] = [];
  private stopping = false;
  private produced = 0;
  private consumed = 0;
  private readonly ackMs: number[] = [];
  private producedAtFrom = 0;
  private nextId: number;

  constructor(private readonly c: BaselineConfig) {
    this.name = `b${c.index + 1}`;
    this.main = new Redis(c.url);
    this.sink = new Redis(c.url);
    // Disjoint id ranges per process.
    this.nextId = (c.index + 1) * 1_000_000_000;
  }

  startConsumers(): void {
    for (let v = 0; v < this.c.vnodes; v++) {
      if (v % this.c.processes !== this.c.index) continue;
      const reader = new Redis(this.c.url);
      this.readers.push(reader);
      this.consumers.push(this.consume(reader, v));
    }
  }

  private async consume(reader: Redis, vnode: number): Promise<void> {
    const stream = baselineStream(vnode);
    while (!this.stopping) {
      const reply = (await reader.xreadgroup(
        'GROUP',
        BASELINE_GROUP,
        this.name,
        'COUNT',
        64,
        'BLOCK',
        100,
        'STREAMS',
        stream,
        '>',
      )) as [string, Entries][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const out = this.sink.pipeline();
      const ids: string[] = [];
      let n = 0;
      for (const [id, fields] of entries) {
        ids.push(id);
        for (const [event, ingestTs] of JSON.parse(fields[1] as string) as Tuple[]) {
          const mapped: OutEvent = {
            id: event.id,
            key: event.key,
            sent: event.sent,
            ingest_ts: ingestTs,
            vnode,
            worker: this.name,
          };
          out.xadd(BASELINE_OUT_STREAM, '*', 'event', JSON.stringify(mapped));
          n++;
        }
      }
      const results = (await out.exec()) ?? [];
      const failed = results.find(([err]) => err !== null);
      if (failed) throw failed[0] as Error;
      await this.main.xack(stream, BASELINE_GROUP, ...ids);
      this.consumed += n;
    }
  }

  async produce(fromMs: number, untilMs: number): Promise<void> {
    const maker = new EventMaker(this.c.keys, this.c.padBytes);
    const fromTimer = setTimeout(() => (this.producedAtFrom = this.produced), fromMs - Date.now());
    const progressTimer = setInterval(
      () => send({ type: 'progress', produced: this.produced }),
      100,
    );
    const producer = async (): Promise<void> => {
      while (Date.now() < untilMs) {
        if (this.c.window > 0 && this.produced - this.consumed >= this.c.window) {
          await sleep(1);
          continue;
        }
        const started = performance.now();
        const first = this.nextId;
        this.nextId += this.c.batch;
        const events = maker.batch(first, this.c.batch);
        const ingestTs = Date.now();
        const groups = new Map<number, Tuple[]>();
        for (const e of events) {
          const v = vnodeOf(e.key, this.c.vnodes);
          const g = groups.get(v);
          if (g) g.push([e, ingestTs]);
          else groups.set(v, [[e, ingestTs]]);
        }
        const p = this.main.pipeline();
        for (const [v, tuples] of groups)
          p.xadd(baselineStream(v), '*', 'r', JSON.stringify(tuples));
        const results = (await p.exec()) ?? [];
        const failed = results.find(([err]) => err !== null);
        if (failed) throw failed[0] as Error;
        this.produced += this.c.batch;
        if (Date.now() >= fromMs) this.ackMs.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: this.c.producers }, () => producer()));
    clearTimeout(fromTimer);
    clearInterval(progressTimer);
    send({
      type: 'produced',
      produced: this.produced,
      producedAtFrom: this.producedAtFrom,
      ackMs: this.ackMs,
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.consumers);
    for (const r of this.readers) r.disconnect();
    await this.main.quit();
    await this.sink.quit();
    send({ type: 'stopped', consumed: this.consumed });
  }
}

let proc: BaselineProcess | null = null;

process.on('message', (m: ToChild) => {
  switch (m.type) {
    case 'config':
      proc = new BaselineProcess(m.config);
      proc.startConsumers();
      send({ type: 'ready' });
      return;
    case 'go':
      proc?.produce(m.fromMs, m.untilMs).catch(fail);
      return;
    case 'stop':
      void (proc?.stop() ?? Promise.resolve()).catch(fail).then(() => process.disconnect());
      return;
  }
});

function fail(err: unknown): void {
  console.error(err);
  process.exit(1);
}
