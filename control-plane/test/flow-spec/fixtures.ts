import { Value } from '@sinclair/typebox/value';
import {
  FlowSpecSchema,
  parseFlowDocument,
  validateFlowSpec,
  type FlowProblem,
  type FlowSpec,
} from '../../src/flow-spec';

/** The example flow of CONTRACT §4, verbatim. */
export const CONTRACT_EXAMPLE_YAML = `id: app-logs
sources:
  - id: in
    kind: http                     # POST /v1/flows/app-logs/sources/in/events on any worker
distribution:
  strategy: hash                   # hash | round-robin
  key: event.application           # CEL; required for hash
pipeline:
  - where: 'event.level != "debug"'
  - throttle: { key: event.application, rate: 100, interval_ms: 1000 }
  - map: '{"app": event.application, "msg": event.message, "vnode": meta.vnode}'
sinks:
  - id: out
    kind: redis-stream
    config: { stream: "out:app-logs" }
  - id: dropped
    from: overflow
    kind: file
    config: { path: "/var/log/tremor/dropped-{worker}.ndjson" }
`;

/** The smallest valid flow: one http source, no operators, one stdout sink. */
export function minimalFlow(): Record<string, unknown> {
  return {
    id: 'minimal',
    sources: [{ id: 'in', kind: 'http' }],
    pipeline: [],
    sinks: [{ id: 'out', kind: 'stdout' }],
  };
}

/** `minimalFlow` with some top-level fields replaced. */
export function flowWith(fields: Record<string, unknown>): Record<string, unknown> {
  return { ...minimalFlow(), ...fields };
}

export function parseYaml(text: string): unknown {
  const parsed = parseFlowDocument(text, 'yaml');
  if (!parsed.ok) throw new Error(`test fixture does not parse: ${JSON.stringify(parsed)}`);
  return parsed.value;
}

/** Validates what must be valid; fails the test with the problems otherwise. */
export function expectValid(input: unknown): FlowSpec {
  const result = validateFlowSpec(input);
  if (!result.ok) throw new Error(`expected a valid flow, got ${JSON.stringify(result.problems)}`);
  // Whatever the validator accepts has the declared shape.
  expect(Value.Check(FlowSpecSchema, result.value)).toBe(true);
  return result.value;
}

export function problemsOf(input: unknown): FlowProblem[] {
  const result = validateFlowSpec(input);
  if (result.ok) throw new Error(`expected problems, the flow is valid: ${JSON.stringify(input)}`);
  expect(result.problems.length).toBeGreaterThan(0);
  return result.problems;
}

export function pathsOf(input: unknown): string[] {
  return problemsOf(input).map((problem) => problem.path);
}

/** The one problem at `path`; fails if there is none or several. */
export function problemAt(input: unknown, path: string): FlowProblem {
  const problems = problemsOf(input);
  const matching = problems.filter((problem) => problem.path === path);
  if (matching.length !== 1) {
    throw new Error(`expected one problem at "${path}", got ${JSON.stringify(problems)}`);
  }
  return matching[0] as FlowProblem;
}
