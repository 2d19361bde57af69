/**
 * The one CEL environment of the project: the validator checks syntax with it and workers compile
 * and run expressions with it, so an expression accepted at submission parses the same on every
 * worker. Events have no declared shape: `event` and `meta` are dynamic, and map literals may mix
 * value types (`{"app": event.application, "n": event.n + 1}` is an ordinary projection).
 */
import { Environment } from '@marcbachmann/cel-js';

export const CEL_VARIABLES = ['event', 'meta'] as const;

export function createCelEnvironment(): Environment {
  return new Environment({ homogeneousAggregateLiterals: false })
    .registerVariable('event', 'dyn')
    .registerVariable('meta', 'dyn');
}

/** Parsing only reads the environment, so one shared instance serves every caller. */
export const CEL = createCelEnvironment();
