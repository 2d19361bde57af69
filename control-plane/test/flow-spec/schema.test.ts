import { Value } from '@sinclair/typebox/value';
import {
  FlowSpecSchema,
  OPERATOR_KINDS,
  operatorKind,
  parseAggregate,
  type FlowSpec,
  type Operator,
  type Sink,
  type Source,
} from '../../src/flow-spec';
import { CONTRACT_EXAMPLE_YAML, expectValid, parseYaml } from './fixtures';

/** The JSON Schema keywords the flow schema may use: nothing an OpenAPI tool would not know. */
const KEYWORDS = new Set([
  'type',
  'title',
  'description',
  'default',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'items',
  'anyOf',
  'const',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minProperties',
  'maxProperties',
  'exclusiveMinimum',
  'maximum',
]);

function keywordsIn(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const item of schema) keywordsIn(item, found);
  } else if (typeof schema === 'object' && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      found.add(key);
      if (key === 'properties' || key === 'patternProperties') {
        for (const property of Object.values(value as object)) keywordsIn(property, found);
      } else if (key !== 'default' && key !== 'required' && key !== 'const') {
        keywordsIn(value, found);
      }
    }
  }
  return found;
}

describe('the schema', () => {
  test('is plain JSON Schema, fit for the OpenAPI document', () => {
    const json: unknown = JSON.parse(JSON.stringify(FlowSpecSchema));
    expect([...keywordsIn(json)].filter((keyword) => !KEYWORDS.has(keyword))).toEqual([]);
  });

  test('closes every object: unknown fields are refused by the schema too', () => {
    const objects: Record<string, unknown>[] = [];
    const visit = (schema: unknown): void => {
      if (Array.isArray(schema)) schema.forEach(visit);
      else if (typeof schema === 'object' && schema !== null) {
        const record = schema as Record<string, unknown>;
        if (record['type'] === 'object') objects.push(record);
        for (const [key, value] of Object.entries(record)) if (key !== 'default') visit(value);
      }
    };
    visit(JSON.parse(JSON.stringify(FlowSpecSchema)));
    // The generator's event is the one free-form object, on purpose.
    const open = objects.filter((object) => object['additionalProperties'] !== false);
    expect(open.map((object) => object['description'])).toEqual([
      'Emitted as is, with a `seq` field added.',
    ]);
    expect(objects.length).toBeGreaterThan(15);
  });

  test('accepts the contract example, with and without the defaults filled in', () => {
    const parsed = parseYaml(CONTRACT_EXAMPLE_YAML);
    expect(Value.Check(FlowSpecSchema, parsed)).toBe(true);
    expect(Value.Check(FlowSpecSchema, expectValid(parsed))).toBe(true);
  });
});

describe('the types', () => {
  // Compiles only if the unions narrow as a worker needs them to.
  function describeOperator(operator: Operator): string {
    switch (operatorKind(operator)) {
      case 'where':
        return 'where' in operator ? `keep ${operator.where}` : 'unreachable';
      case 'map':
        return 'map' in operator ? `map ${operator.map}` : 'unreachable';
      case 'throttle':
        return 'throttle' in operator ? `throttle ${operator.throttle.rate}` : 'unreachable';
      case 'window':
        return 'window' in operator
          ? `window ${Object.keys(operator.window.aggregate).join(',')}`
          : 'unreachable';
    }
  }

  function describeSource(source: Source): string {
    switch (source.kind) {
      case 'http':
        return 'http';
      case 'generator':
        return `generator ${source.config.rate_per_s}/s`;
      case 'redis-stream':
        return `redis ${source.config.stream} ${source.config.url ?? 'default'}`;
    }
  }

  function describeSink(sink: Sink): string {
    switch (sink.kind) {
      case 'file':
        return `file ${sink.config.path}`;
      case 'http':
        return `http ${sink.config.url}`;
      case 'redis-stream':
        return `redis ${sink.config.stream}`;
      case 'stdout':
      case 'null':
        return sink.kind;
    }
  }

  test('operators, sources and sinks narrow by their discriminant', () => {
    const spec: FlowSpec = expectValid(parseYaml(CONTRACT_EXAMPLE_YAML));
    expect(spec.pipeline.map(describeOperator)).toEqual([
      'keep event.level != "debug"',
      'throttle 100',
      'map {"app": event.application, "msg": event.message, "vnode": meta.vnode}',
    ]);
    expect(spec.sources.map(describeSource)).toEqual(['http']);
    expect(spec.sinks.map(describeSink)).toEqual([
      'redis out:app-logs',
      'file /var/log/tremor/dropped-{worker}.ndjson',
    ]);
    expect(OPERATOR_KINDS).toEqual(['where', 'map', 'throttle', 'window']);
  });
});

describe('parseAggregate', () => {
  test.each([
    ['count', { fn: 'count' }],
    ['sum(event.bytes)', { fn: 'sum', expression: 'event.bytes', offset: 4 }],
    ['min(event.a - event.b)', { fn: 'min', expression: 'event.a - event.b', offset: 4 }],
    ['max(size(event.tags))', { fn: 'max', expression: 'size(event.tags)', offset: 4 }],
    ['avg(event.ms)', { fn: 'avg', expression: 'event.ms', offset: 4 }],
  ])('%s', (text, expected) => {
    expect(parseAggregate(text)).toEqual(expected);
  });

  test.each(['Count', 'count()', 'sum()', 'sum event.a', 'median(event.a)', ' count', 'sum(a'])(
    '%s is not an aggregate',
    (text) => {
      expect(parseAggregate(text)).toBeUndefined();
    },
  );
});
