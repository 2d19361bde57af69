/**
 * One flow on one worker (CONTRACT §4: every worker hosts every source and sink of a flow, and one
 * pipeline instance per vnode it owns). It opens the sinks, starts the sources, places what they
 * accept on vnodes, and drives the timers: generators emit on a tick, windows close on a tick.
 *
 * Records reach the vnode runners through `append`, which resolves once they are durable. Here,
 * with every vnode on this worker, that is the runners themselves: a record is durable once its
 * outputs are in the sinks. The event transport of the clustered worker takes this place, so that
 * records reach whichever worker owns their vnode.
 */
import { TremorError } from '../../../control-plane/src/errors';
import type { FlowSpec, Source } from '../../../control-plane/src/flow-spec/schema';
import type { Logger } from '../../../control-plane/src/logger';
import { buildSink, type SinkContext } from '../connectors/sinks/build-sink';
import type { Sink } from '../connectors/sinks/sink';
import { GeneratorSource, type GeneratorConfig } from '../connectors/sources/generator';
import { HttpSource } from '../connectors/sources/http-source';
import { RedisStreamSource } from '../connectors/sources/redis-stream-source';
import type { Json } from '../flows/expressions/cel-values';
import { buildDistributor } from '../flows/distribution';
import type { IngestRecord } from '../flows/ingest-record';
import type { PipelineCounters } from '../flows/pipeline-counters';
import { VnodeRunner } from './vnode-runner';

export interface FlowRuntimeOptions extends SinkContext {
  readonly spec: FlowSpec;
  readonly vnodes: number;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly counters?: PipelineCounters | null;
  /** How often generators emit and windows are checked for closing; default 100 ms. */
  readonly tickMs?: number;
  /** Passed to `redis-stream` sources (tests shorten them). */
  readonly redisSource?: { readonly blockMs?: number; readonly claimIdleMs?: number };
}

export type FlowRuntimeState = 'created' | 'running' | 'stopping' | 'stopped';

interface Generator {
  readonly source: GeneratorSource;
  readonly place: (event: Json, nowMs: number) => IngestRecord;
  /** A batch whose append failed, tried again before anything newer. */
  retry: IngestRecord[] | null;
}

export class FlowRuntime {
  private stateValue: FlowRuntimeState = 'created';
  private readonly sinks = new Map<string, Sink>();
  private readonly runners: VnodeRunner[] = [];
  private readonly http = new Map<string, HttpSource>();
  private readonly streams: RedisStreamSource[] = [];
  private readonly generators: Generator[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly options: FlowRuntimeOptions) {}

  get id(): string {
    return this.options.spec.id;
  }

  get state(): FlowRuntimeState {
    return this.stateValue;
  }

  /** The pipeline of `vnode`, for status and tests. */
  runner(vnode: number): VnodeRunner | undefined {
    return this.runners[vnode];
  }

  start(): void {
    if (this.stateValue !== 'created') throw new Error(`flow ${this.id} was started already`);
    const { spec, vnodes } = this.options;
    for (const s of spec.sinks) this.sinks.set(s.id, buildSink(s, this.options));
    for (let v = 0; v < vnodes; v++) {
      this.runners.push(
        new VnodeRunner(spec, v, this.options.worker, this.sinks, this.options.counters ?? null),
      );
    }
    for (const source of spec.sources) this.startSource(source);
    this.stateValue = 'running';
    this.timer = setInterval(() => {
      // One tick at a time: a slow sink delays the next tick instead of piling them up.
      this.ticking = this.ticking.then(() => this.tick());
    }, this.options.tickMs ?? 100);
  }

  /**
   * The `http` source `sourceId` accepts `events` (one ingest request): resolves with their count
   * once all are durable; on any failure none is accepted.
   */
  async ingest(sourceId: string, events: readonly unknown[]): Promise<number> {
    const source = this.http.get(sourceId);
    if (source === undefined || this.stateValue !== 'running') {
      throw new TremorError(
        'TREMOR_FLOW_NOT_FOUND',
        this.options.spec.sources.some((s) => s.id === sourceId)
          ? `source ${sourceId} of flow ${this.id} is not an http source; it takes no events over HTTP`
          : `flow ${this.id} has no source ${sourceId}`,
      );
    }
    const records = source.accept(events, this.options.clock());
    try {
      await this.append(records);
    } catch (err) {
      throw new TremorError(
        'TREMOR_SINK_UNAVAILABLE',
        `flow ${this.id}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return records.length;
  }

  /** Stops the sources, finishes what was accepted, closes the sinks. */
  async stop(): Promise<void> {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'stopping';
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.streams.map((s) => s.stop()));
    await this.ticking;
    await Promise.all(this.runners.map((r) => r.idle()));
    await Promise.all([...this.sinks.values()].map((s) => s.close()));
    this.stateValue = 'stopped';
  }

  private startSource(source: Source): void {
    const { spec, vnodes, worker } = this.options;
    // One distributor per source instance: round-robin deals per source (CONTRACT §4).
    const distributor = buildDistributor(spec.distribution, vnodes);
    switch (source.kind) {
      case 'http':
        this.http.set(source.id, new HttpSource(spec.id, source.id, worker, distributor));
        return;
      case 'generator': {
        const meta = { worker, flow: spec.id };
        this.generators.push({
          source: new GeneratorSource(source.config as GeneratorConfig),
          place: (event, nowMs) => {
            const placed = distributor.place(event, { ...meta, ingest_ts: nowMs });
            return { event, ingest_ts: nowMs, ...placed };
          },
          retry: null,
        });
        return;
      }
      case 'redis-stream': {
        const stream = new RedisStreamSource({
          flow: spec.id,
          id: source.id,
          worker,
          url: source.config.url ?? this.options.redisUrl,
          stream: source.config.stream,
          distributor,
          append: (records) => this.append(records),
          clock: this.options.clock,
          logger: this.options.logger,
          ...this.options.redisSource,
        });
        this.streams.push(stream);
        stream.start();
        return;
      }
    }
  }

  /** Where accepted records go; durable once it resolves, none of them when it rejects. */
  private async append(records: readonly IngestRecord[]): Promise<void> {
    const byVnode = new Map<number, IngestRecord[]>();
    for (const r of records) {
      const batch = byVnode.get(r.vnode);
      if (batch) batch.push(r);
      else byVnode.set(r.vnode, [r]);
    }
    // Queued on every runner in this same turn, so concurrent requests keep their order per vnode.
    await Promise.all(
      [...byVnode].map(([vnode, batch]) => (this.runners[vnode] as VnodeRunner).deliver(batch)),
    );
  }

  private async tick(): Promise<void> {
    if (this.stateValue !== 'running') return;
    const now = this.options.clock();
    for (const g of this.generators) {
      const batch = g.retry ?? g.source.due(now).map((e) => g.place(e, now));
      try {
        await this.append(batch);
        g.retry = null;
      } catch (err) {
        g.retry = batch;
        this.options.logger.warn(
          { flow: this.id, err: String(err) },
          'generator: its events could not be delivered; trying again on the next tick',
        );
      }
    }
    await Promise.all(
      this.runners.map((r) =>
        r.tick(now).catch((err: unknown) => {
          this.options.logger.warn(
            { flow: this.id, vnode: r.vnode, err: String(err) },
            'closed windows could not be written; they are emitted again on the next tick',
          );
        }),
      ),
    );
  }
}
