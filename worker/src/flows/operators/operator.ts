/**
 * What every pipeline operator is: a step from one event to events on ports, with state that can
 * be written out and read back (it moves with its vnode). `out` feeds the next operator; `overflow`
 * (throttle) and `err` (an expression failed on the event) go straight to the sinks that take them.
 *
 * Operators are pure: no clocks (a window closes when `advance(nowMs)` says time has passed), no
 * I/O. The runner owns both.
 */
import type { Json } from '../expressions/cel-values';
import { celContext, type CelContext, type EventMeta } from '../expressions/expression';

export type Port = 'out' | 'overflow' | 'err';

export class PipelineEvent {
  private cel: CelContext | null = null;

  constructor(
    readonly data: Json,
    readonly meta: EventMeta,
    /** Why it went to `err`, when it did. */
    readonly error?: string,
  ) {}

  /** The event as CEL sees it: each part converted once, when an expression first reads it. */
  context(): CelContext {
    this.cel ??= celContext(this.data, this.meta);
    return this.cel;
  }

  failed(reason: string): PipelineEvent {
    return new PipelineEvent(this.data, this.meta, reason);
  }
}

export type Emit = (port: Port, event: PipelineEvent) => void;

/** Serialized operator state: JSON, tagged with the operator kind and a format version. */
export interface OperatorState {
  readonly kind: string;
  readonly v: number;
  readonly [field: string]: Json;
}

export interface Operator {
  readonly kind: string;
  process(event: PipelineEvent, emit: Emit): void;
  /** Time has reached `nowMs` (event time of the vnode): emit what that closes. */
  advance(nowMs: number, emit: Emit): void;
  snapshot(): OperatorState;
  restore(state: OperatorState): void;
}

export class OperatorStateError extends Error {
  constructor(kind: string, detail: string) {
    super(`cannot restore ${kind} state: ${detail}`);
    this.name = 'OperatorStateError';
  }
}

/** Restoring is strict: state from another operator kind or a newer format is refused. */
export function checkState(state: OperatorState, kind: string, version: number): void {
  if (state.kind !== kind) throw new OperatorStateError(kind, `it is ${state.kind} state`);
  if (state.v !== version) {
    throw new OperatorStateError(
      kind,
      `format ${state.v} is not ${version}, the one this worker reads`,
    );
  }
}
