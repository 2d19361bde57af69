/**
 * One flow's pipeline for one vnode: the operators in order, fed a batch of events, giving the
 * events that reached each port. `out` of one operator feeds the next; `overflow` and `err` leave
 * the pipeline where they are emitted. Time (`advance`) flows the same way: the first operator
 * closes its windows, what they emit runs through the rest, then the next operator advances.
 *
 * Its state is the state of every operator, versioned; it moves with the vnode.
 */
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import type { Json } from './expressions/cel-values';
import { buildOperator } from './build-operator';
import {
  OperatorStateError,
  type Emit,
  type Operator,
  type OperatorState,
  type PipelineEvent,
  type Port,
} from './operators/operator';
import type { PipelineCounters } from './pipeline-counters';

export interface PortOutputs {
  readonly out: PipelineEvent[];
  readonly overflow: PipelineEvent[];
  readonly err: PipelineEvent[];
}

export interface PipelineState {
  readonly v: 1;
  readonly operators: readonly OperatorState[];
}

export class VnodePipeline {
  private readonly operators: Operator[];

  constructor(
    readonly flow: FlowSpec,
    readonly vnode: number,
    private readonly counters: PipelineCounters | null = null,
  ) {
    this.operators = flow.pipeline.map(buildOperator);
  }

  process(events: readonly PipelineEvent[]): PortOutputs {
    const outputs = emptyOutputs();
    for (const e of events) {
      // Failed before the pipeline (its distribution key): it goes where failed expressions go.
      if (e.error !== undefined) outputs.err.push(e);
      else this.runFrom(0, e, outputs);
    }
    this.counters?.eventsIn(this.flow.id, this.vnode, events.length);
    this.count(outputs);
    return outputs;
  }

  /** Event time has reached `nowMs`: windows that end by then are emitted. */
  advance(nowMs: number): PortOutputs {
    const outputs = emptyOutputs();
    this.operators.forEach((op, i) => {
      op.advance(nowMs, this.emitter(i, outputs));
    });
    this.count(outputs);
    return outputs;
  }

  snapshot(): PipelineState {
    return { v: 1, operators: this.operators.map((op) => op.snapshot()) };
  }

  restore(state: PipelineState): void {
    if (state.v !== 1)
      throw new OperatorStateError('pipeline', `format ${String(state.v)} is not 1`);
    if (state.operators.length !== this.operators.length) {
      throw new OperatorStateError(
        'pipeline',
        `it has ${state.operators.length} operators, the flow ${this.operators.length} (the flow changed)`,
      );
    }
    // All or nothing: an operator refusing its state leaves every operator as it was.
    const before = this.snapshot();
    try {
      this.operators.forEach((op, i) => op.restore(state.operators[i] as OperatorState));
    } catch (err) {
      this.operators.forEach((op, i) => op.restore(before.operators[i] as OperatorState));
      throw err;
    }
  }

  private runFrom(i: number, event: PipelineEvent, outputs: PortOutputs): void {
    const op = this.operators[i];
    if (op === undefined) {
      outputs.out.push(event);
      return;
    }
    op.process(event, this.emitter(i, outputs));
  }

  /** What operator `i` emits: `out` continues at `i + 1`, other ports leave the pipeline. */
  private emitter(i: number, outputs: PortOutputs): Emit {
    return (port: Port, e: PipelineEvent) => {
      if (port === 'out') this.runFrom(i + 1, e, outputs);
      else outputs[port].push(e);
    };
  }

  private count(outputs: PortOutputs): void {
    if (!this.counters) return;
    for (const port of ['out', 'overflow', 'err'] as const) {
      const n = outputs[port].length;
      if (n > 0) this.counters.eventsOut(this.flow.id, this.vnode, port, n);
    }
  }
}

function emptyOutputs(): PortOutputs {
  return { out: [], overflow: [], err: [] };
}

/** Which sinks receive which events: each sink takes its `from` port (`out` by default). */
export function routeToSinks(flow: FlowSpec, outputs: PortOutputs): Map<string, Json[]> {
  const routed = new Map<string, Json[]>();
  for (const sink of flow.sinks) {
    routed.set(
      sink.id,
      outputs[sink.from ?? 'out'].map((e) => e.data),
    );
  }
  return routed;
}
