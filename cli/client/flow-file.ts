/**
 * A flow file given to `tremor flow apply`: JSON or YAML, told apart by the extension, and for
 * any other name JSON first, then YAML. Parsed here with the server's own parser (same YAML
 * version, unique keys, alias bound), so a syntax error names the file, line and column before
 * anything is sent; validating the flow stays the API's job, which lists every problem.
 */
import path from 'node:path';
import {
  parseFlowDocument,
  type FlowDocumentFormat,
} from '../../control-plane/src/flow-spec/parse-document';
import { UsageError } from './errors';

export interface FlowFile {
  readonly id: string;
  readonly spec: Record<string, unknown>;
}

export function readFlowFile(file: string, readFile: (file: string) => string): FlowFile {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${file}: cannot read the flow file: ${reason}`);
  }
  const spec = parse(file, text);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new UsageError(
      `${file}: a flow is a mapping (id, sources, pipeline, sinks), not ${kindOf(spec)}`,
    );
  }
  const record = spec as Record<string, unknown>;
  if (record.id === undefined) throw new UsageError(`${file}: the flow has no id`);
  if (typeof record.id !== 'string' || record.id === '') {
    throw new UsageError(
      `${file}: the flow's id must be a non-empty string, not ${kindOf(record.id)}`,
    );
  }
  return { id: record.id, spec: record };
}

function parse(file: string, text: string): unknown {
  const formats = formatsOf(file);
  let problems: readonly string[] = [];
  for (const format of formats) {
    const parsed = parseFlowDocument(text, format);
    if (parsed.ok) return parsed.value;
    problems = parsed.problems.map((p) => p.message);
  }
  // With no telling extension, the YAML attempt's errors are the ones shown: JSON is YAML too.
  const hint =
    formats.length > 1 ? ' (not JSON either; name the file .json or .yaml to say which)' : '';
  throw new UsageError(`${file}: ${problems.join('; ')}${hint}`);
}

function formatsOf(file: string): readonly FlowDocumentFormat[] {
  switch (path.extname(file).toLowerCase()) {
    case '.json':
      return ['json'];
    case '.yaml':
    case '.yml':
      return ['yaml'];
    default:
      return ['json', 'yaml'];
  }
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}
