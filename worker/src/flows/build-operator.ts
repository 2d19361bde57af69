/** One operator of a validated flow spec, compiled. */
import type { Operator as OperatorSpec } from '../../../control-plane/src/flow-spec/schema';
import { MapOperator } from './operators/map';
import type { Operator } from './operators/operator';
import { ThrottleOperator } from './operators/throttle';
import { WhereOperator } from './operators/where';
import { WindowOperator } from './operators/window';

export function buildOperator(spec: OperatorSpec): Operator {
  if ('where' in spec) return new WhereOperator(spec.where);
  if ('map' in spec) return new MapOperator(spec.map);
  if ('throttle' in spec) return new ThrottleOperator(spec.throttle);
  return new WindowOperator(spec.window);
}
