/**
 * The owner's loop for one vnode of one flow: take the vnode's lease at its epoch, start from the
 * checkpoint, then read → run the pipeline → write the sinks → acknowledge with the new state, one
 * batch at a time (DESIGN: "Event transport"). Windows close on a timer in the same loop, so time
 * and events reach the pipeline in one order.
 *
 * Lifecycle:
 *   starting ──▶ running ──▶ stopping ──▶ stopped      (stop: the batch in hand is finished)
 *       └──────────┴──▶ fenced                          (a newer epoch holds the vnode)
 *
 * A planned stop (the vnode moves to a live worker, or this worker leaves) finishes the batch in
 * hand, acknowledges it and releases the vnode, and the next owner waits for that release before
 * it reads: nothing is lost and nothing is delivered twice.
 *
 * A batch whose sink write fails is undone in the pipeline (VnodeRunner) and tried again after a
 * pause, for as long as it takes: its events stay unacknowledged in the stream meanwhile, so a
 * crash loses nothing, and ingest answers 503 once the backlog reaches its bound.
 */
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import type { Logger } from '../../../control-plane/src/logger';
import type { Sink } from '../connectors/sinks/sink';
import type { Json } from '../flows/expressions/cel-values';
import type { PipelineCounters } from '../flows/pipeline-counters';
import { OperatorStateError } from '../flows/operators/operator';
import type { PipelineState } from '../flows/vnode-pipeline';
import { FencedError, type EventTransport, type VnodeLease } from '../transport/event-transport';
import { VnodeRunner } from './vnode-runner';

export type VnodeConsumerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'fenced';

export interface VnodeConsumerOptions {
  readonly transport: EventTransport;
  readonly flow: FlowSpec;
  readonly vnode: number;
  readonly epoch: number;
  readonly worker: string;
  readonly sinks: ReadonlyMap<string, Sink>;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly counters?: PipelineCounters | null;
  /** Entries per read; default 64. */
  readonly batch?: number;
  /** How often windows are checked for closing; default 100 ms. */
  readonly tickMs?: number;
  /** Pause before a failed batch is tried again; default 500 ms, doubling up to 5 s. */
  readonly retryMs?: number;
  /** A planned move: wait up to this long for the former owner's release (no duplicates). */
  readonly awaitReleaseMs?: number;
}

export class VnodeConsumer {
  private stateValue: VnodeConsumerState = 'starting';
  private readonly runner: VnodeRunner;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lease: VnodeLease | null = null;

  constructor(private readonly options: VnodeConsumerOptions) {
    this.runner = new VnodeRunner(
      options.flow,
      options.vnode,
      options.worker,
      options.sinks,
      options.counters ?? null,
    );
  }

  get state(): VnodeConsumerState {
    return this.stateValue;
  }

  get vnode(): number {
    return this.options.vnode;
  }

  get epoch(): number {
    return this.options.epoch;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the batch in hand (written and acknowledged with its state), then stops reading. */
  async stop(): Promise<void> {
    if (this.stateValue === 'starting' || this.stateValue === 'running') {
      this.stateValue = 'stopping';
    }
    this.wake?.();
    await this.loop;
  }

  private get active(): boolean {
    return this.stateValue === 'starting' || this.stateValue === 'running';
  }

  private async run(): Promise<void> {
    const { transport, flow, vnode, epoch, worker } = this.options;
    try {
      const lease = await this.retrying('take the vnode', () =>
        transport.acquire(flow.id, vnode, worker, epoch, this.options.awaitReleaseMs ?? 0),
      );
      if (lease === null) return;
      this.lease = lease;
      if (lease.checkpoint !== null) this.restore(lease.checkpoint.state);
      if (this.stateValue === 'starting') this.stateValue = 'running';
      await this.consume(lease);
      // A planned stop: everything read was acknowledged; the next owner may start at once.
      if (this.stateValue === 'stopping')
        await this.retrying('release', () => lease.release(), true);
    } catch (err) {
      if (!(err instanceof FencedError)) throw err;
      const atStart = this.lease === null;
      this.stateValue = 'fenced';
      if (atStart) {
        // Refused before reading anything: either this worker's view is behind (the next view
        // stops this consumer), or Redis holds keys of an earlier cluster whose epochs are ahead
        // of this one's, and the vnode's events wait until an operator removes them.
        this.options.logger.warn(
          { flow: flow.id, vnode, epoch },
          "vnode: Redis holds a newer epoch than the one this worker was given; if this cluster was created anew on a Redis an earlier cluster used, delete that cluster's tremor:* keys (docs/operations.md)",
        );
      } else {
        this.options.logger.info(
          { flow: flow.id, vnode, epoch },
          'vnode: a newer owner holds it; this worker stops consuming it',
        );
      }
    } finally {
      this.lease?.close();
      if (this.stateValue === 'stopping') this.stateValue = 'stopped';
    }
  }

  /**
   * The checkpoint's operator state, unless it belongs to another pipeline: a flow replaced with
   * different operators (`flow apply` of a changed file) starts them with empty state, rather
   * than stopping the vnode on state it cannot use.
   */
  private restore(state: Json): void {
    try {
      this.runner.pipeline.restore(state as unknown as PipelineState);
    } catch (err) {
      if (!(err instanceof OperatorStateError)) throw err;
      this.options.logger.warn(
        { flow: this.options.flow.id, vnode: this.options.vnode, reason: err.message },
        'vnode: the saved operator state does not fit this flow (its pipeline changed); starting with empty state',
      );
    }
  }

  private async consume(lease: VnodeLease): Promise<void> {
    const tickMs = this.options.tickMs ?? 100;
    let nextTick = this.options.clock() + tickMs;
    while (this.active) {
      const now = this.options.clock();
      if (now >= nextTick) {
        nextTick = now + tickMs;
        const emitted = await this.retrying('close windows', () => this.runner.tick(now));
        if (emitted === null) return;
        if (emitted > 0) await this.commitState(lease, []);
        continue;
      }
      const delivery = await this.retrying('read', () =>
        lease.read(this.options.batch ?? 64, Math.max(1, nextTick - now)),
      );
      if (delivery === null || delivery.entries.length === 0) continue;
      const records = delivery.entries.flatMap((e) => e.records);
      // Once read, a batch is finished even when stop comes meanwhile: written, then acknowledged.
      const written = await this.retrying(
        'write to the sinks',
        () => this.runner.deliver(records),
        true,
      );
      if (written === null) return;
      await this.commitState(lease, delivery.entries);
    }
  }

  private async commitState(lease: VnodeLease, entries: Parameters<VnodeLease['commit']>[0]) {
    const state = this.runner.pipeline.snapshot() as unknown as Json;
    await this.retrying('acknowledge', () => lease.commit(entries, state), true);
  }

  /**
   * Runs `step` until it succeeds; a FencedError ends the loop at once. Null when the consumer
   * is stopping: a `finishing` step (the batch in hand) still gets its attempt then, but no
   * retry, so stop stays bounded; what it could not finish is replayed by the next owner.
   */
  private async retrying<T>(
    what: string,
    step: () => Promise<T>,
    finishing = false,
  ): Promise<T | null> {
    let pause = this.options.retryMs ?? 500;
    if (!this.active && !finishing) return null;
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (err instanceof FencedError) throw err;
        this.options.logger.warn(
          { flow: this.options.flow.id, vnode: this.options.vnode, err: String(err) },
          `vnode: could not ${what}; ${this.active ? 'trying again' : 'left to the next owner'}`,
        );
      }
      if (!this.active) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      pause = Math.min(pause * 2, 5_000);
    }
  }
}
