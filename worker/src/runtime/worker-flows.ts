/**
 * The flows this worker runs, by id, and the worker's side of the ingest route: events for a flow
 * or source that is not running here are refused with 404 (CONTRACT §3), never held somewhere
 * they would not be read.
 */
import type { IngestEvent, IngestSink } from '../../../control-plane/src/api/deps';
import { TremorError } from '../../../control-plane/src/errors';
import type { FlowRuntime } from './flow-runtime';

export class WorkerFlows implements IngestSink {
  private readonly flows = new Map<string, FlowRuntime>();

  /** Starts `runtime`, replacing (and first stopping) a running flow of the same id. */
  async run(runtime: FlowRuntime): Promise<void> {
    await this.stop(runtime.id);
    this.flows.set(runtime.id, runtime);
    runtime.start();
  }

  async stop(id: string): Promise<void> {
    const running = this.flows.get(id);
    if (running === undefined) return;
    this.flows.delete(id);
    await running.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.flows.keys()].map((id) => this.stop(id)));
  }

  get(id: string): FlowRuntime | undefined {
    return this.flows.get(id);
  }

  ingest(flow: string, source: string, events: readonly IngestEvent[]): Promise<number> {
    const runtime = this.flows.get(flow);
    if (runtime === undefined) {
      return Promise.reject(
        new TremorError('TREMOR_FLOW_NOT_FOUND', `flow ${flow} is not running on this worker`),
      );
    }
    return runtime.ingest(source, events);
  }
}
