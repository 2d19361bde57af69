/** `map: EXPR`: replaces the event with the value of EXPR, which must be a map. */
import { compileExpression, type Expression } from '../expressions/expression';
import {
  PipelineEvent,
  checkState,
  type Emit,
  type Operator,
  type OperatorState,
} from './operator';

export class MapOperator implements Operator {
  readonly kind = 'map';
  private readonly projection: Expression;

  constructor(source: string) {
    this.projection = compileExpression(source);
  }

  process(event: PipelineEvent, emit: Emit): void {
    const res = this.projection.evaluate(event.context());
    if (!res.ok) emit('err', event.failed(`map: ${res.error}`));
    else if (res.value === null || typeof res.value !== 'object' || Array.isArray(res.value)) {
      emit('err', event.failed(`map: the expression gave ${JSON.stringify(res.value)}, not a map`));
    } else emit('out', new PipelineEvent(res.value, event.meta));
  }

  advance(): void {}

  snapshot(): OperatorState {
    return { kind: this.kind, v: 1 };
  }

  restore(state: OperatorState): void {
    checkState(state, this.kind, 1);
  }
}
