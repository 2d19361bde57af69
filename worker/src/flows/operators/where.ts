/** `where: EXPR`: keeps the events for which EXPR is true; a non-boolean result is an error. */
import { compileExpression, type Expression } from '../expressions/expression';
import {
  checkState,
  type Emit,
  type Operator,
  type OperatorState,
  type PipelineEvent,
} from './operator';

export class WhereOperator implements Operator {
  readonly kind = 'where';
  private readonly predicate: Expression;

  constructor(source: string) {
    this.predicate = compileExpression(source);
  }

  process(event: PipelineEvent, emit: Emit): void {
    const res = this.predicate.evaluate(event.context());
    if (!res.ok) emit('err', event.failed(`where: ${res.error}`));
    else if (typeof res.value !== 'boolean') {
      emit(
        'err',
        event.failed(`where: the condition gave ${JSON.stringify(res.value)}, not a boolean`),
      );
    } else if (res.value) emit('out', event);
  }

  advance(): void {}

  snapshot(): OperatorState {
    return { kind: this.kind, v: 1 };
  }

  restore(state: OperatorState): void {
    checkState(state, this.kind, 1);
  }
}
