/**
 * One flow on one worker (CONTRACT §4: every worker hosts every source and sink of a flow, and one
 * pipeline instance per vnode it owns). It opens the sinks, starts the sources, appends what they
 * accept to the event transport (whichever worker owns the target vnode), and runs a consumer for
 * each vnode this worker owns, at the epoch the cluster state gives it.
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
import type { EventTransport } from '../transport/event-transport';
import { VnodeConsumer, type VnodeConsumerOptions } from './vnode-consumer';

export interface FlowRuntimeOptions extends SinkContext {
  readonly spec: FlowSpec;
  /** The cluster's vnode count. */
  readonly vnodes: number;
  readonly transport: EventTransport;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly counters?: PipelineCounters | null;
  /** How often generators emit and windows are checked for closing; default 100 ms. */
  readonly tickMs?: number;
  /** Passed to `redis-stream` sources (tests shorten them). */
  readonly redisSource?: { readonly blockMs?: number; readonly claimIdleMs?: number };
  /** Passed to the vnode consumers. */
  readonly consumer?: Pick<VnodeConsumerOptions, 'batch' | 'retryMs'>;
}

/** How long a new owner waits for a live former owner to hand a vnode off. */
export const HANDOFF_WAIT_MS = 5_000;

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
  /** The vnodes this worker owns now, by vnode. */
  private readonly consumers = new Map<number, VnodeConsumer>();
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

  /** The consumer of `vnode` when this worker owns it, for status and tests. */
  consumer(vnode: number): VnodeConsumer | undefined {
    return this.consumers.get(vnode);
  }

  start(): void {
    if (this.stateValue !== 'created') throw new Error(`flow ${this.id} was started already`);
    for (const s of this.options.spec.sinks) this.sinks.set(s.id, buildSink(s, this.options));
    for (const source of this.options.spec.sources) this.startSource(source);
    this.stateValue = 'running';
    this.timer = setInterval(() => {
      // One tick at a time: a slow append delays the next tick instead of piling them up.
      this.ticking = this.ticking.then(() => this.tick());
    }, this.options.tickMs ?? 100);
  }

  /**
   * The vnodes this worker owns now (vnode → epoch): consumers start for new ones, stop (their
   * batch in hand finished and acknowledged) for those gone, and restart at a new epoch. For the
   * vnodes in `planned` the former owner is alive: their consumers wait for its release first.
   */
  async own(
    owned: ReadonlyMap<number, number>,
    planned: ReadonlySet<number> = new Set(),
  ): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const [vnode, consumer] of this.consumers) {
      if (owned.get(vnode) === consumer.epoch && consumer.state !== 'fenced') continue;
      this.consumers.delete(vnode);
      stopping.push(consumer.stop());
    }
    await Promise.all(stopping);
    if (this.stateValue !== 'running') return;
    for (const [vnode, epoch] of owned) {
      if (this.consumers.has(vnode)) continue;
      const consumer = new VnodeConsumer({
        transport: this.options.transport,
        flow: this.options.spec,
        vnode,
        epoch,
        worker: this.options.worker,
        sinks: this.sinks,
        clock: this.options.clock,
        logger: this.options.logger,
        counters: this.options.counters ?? null,
        tickMs: this.options.tickMs,
        awaitReleaseMs: planned.has(vnode) ? HANDOFF_WAIT_MS : 0,
        ...this.options.consumer,
      });
      this.consumers.set(vnode, consumer);
      consumer.start();
    }
  }

  /**
   * The `http` source `sourceId` accepts `events` (one ingest request): resolves with their count
   * once all are durable in the transport; on any failure none is accepted.
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
      if (err instanceof TremorError) throw err;
      throw new TremorError(
        'TREMOR_TRANSPORT_UNAVAILABLE',
        `the event transport did not take the events (${err instanceof Error ? err.message : String(err)}); retry later`,
      );
    }
    return records.length;
  }

  /** Stops the sources, then the consumers (each finishing its batch in hand), closes the sinks. */
  async stop(): Promise<void> {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'stopping';
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.streams.map((s) => s.stop()));
    await this.ticking;
    await this.own(new Map());
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
  private append(records: readonly IngestRecord[]): Promise<void> {
    return this.options.transport.append(this.id, records);
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
  }
}
