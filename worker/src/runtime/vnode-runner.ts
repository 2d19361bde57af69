/**
 * Runs one vnode's pipeline against the flow's sinks on this worker: a batch of records goes
 * through the operators, each port's output to the sinks that take it, and the batch is done once
 * every sink holds its events durably. Batches and timer ticks run one at a time in the order they
 * were queued: the order in which a source placed a key's events is the order the pipeline sees.
 *
 * A batch either happens or does not: when a sink write fails, the operator state is put back as
 * it was before the batch, so a retried batch is not counted twice by a throttle or a window.
 */
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import type { Sink } from '../connectors/sinks/sink';
import { toPipelineEvent, type IngestRecord } from '../flows/ingest-record';
import type { PipelineCounters } from '../flows/pipeline-counters';
import { routeToSinks, VnodePipeline, type PortOutputs } from '../flows/vnode-pipeline';

export class VnodeRunner {
  readonly pipeline: VnodePipeline;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly flow: FlowSpec,
    readonly vnode: number,
    private readonly worker: string,
    private readonly sinks: ReadonlyMap<string, Sink>,
    counters: PipelineCounters | null = null,
  ) {
    this.pipeline = new VnodePipeline(flow, vnode, counters);
  }

  /** Resolves once every output of `records` is durable in its sinks. */
  deliver(records: readonly IngestRecord[]): Promise<void> {
    return this.enqueue(() =>
      this.pipeline.process(records.map((r) => toPipelineEvent(r, this.flow.id, this.worker))),
    );
  }

  /** Event time has reached `nowMs`: closed windows are emitted and written; answers how many. */
  async tick(nowMs: number): Promise<number> {
    let emitted = 0;
    await this.enqueue(() => {
      const outputs = this.pipeline.advance(nowMs);
      emitted = outputs.out.length + outputs.overflow.length + outputs.err.length;
      return outputs;
    });
    return emitted;
  }

  /** Waits for everything queued so far. */
  idle(): Promise<void> {
    return this.queue.catch(() => {});
  }

  private enqueue(step: () => PortOutputs): Promise<void> {
    const run = async (): Promise<void> => {
      const before = this.pipeline.snapshot();
      const outputs = step();
      try {
        await this.write(outputs);
      } catch (err) {
        this.pipeline.restore(before);
        throw err;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private async write(outputs: PortOutputs): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [sinkId, events] of routeToSinks(this.flow, outputs)) {
      const sink = this.sinks.get(sinkId);
      if (sink === undefined) throw new Error(`sink ${sinkId} of flow ${this.flow.id} is not open`);
      if (events.length === 0) continue;
      writes.push(
        sink.write(events).catch((err: unknown) => {
          throw new Error(`sink ${sinkId}: ${err instanceof Error ? err.message : String(err)}`);
        }),
      );
    }
    await Promise.all(writes);
  }
}
