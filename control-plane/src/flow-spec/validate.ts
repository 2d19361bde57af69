/**
 * Validation of a parsed flow document against the flow format.
 *
 * The walk follows the schemas in `schema.ts` for field names, required fields and the limits on
 * each value, and adds what a schema cannot say. It picks a union's variant by its discriminating
 * field (`kind`, `strategy`, the operator's one key) instead of trying every variant, so a source
 * with `kind: generator` and no `rate_per_s` hears exactly that, not "matches none of three
 * shapes". Every problem is listed, in the order of the document's own keys; fields found missing
 * come after the fields present in the same object.
 */
import { KindGuard, type TArray, type TObject, type TSchema } from '@sinclair/typebox';
import { AGGREGATE_NAME_PATTERN, WINDOW_OUTPUT_FIELDS, parseAggregate } from './aggregate';
import { celSyntaxError } from './cel-syntax';
import { didYouMean } from './did-you-mean';
import { leafProblem } from './leaf-check';
import { FLOW_LIMITS } from './limits';
import { ProblemList, formatPath, type FlowParse, type FlowPath } from './problems';
import {
  AggregatesSchema,
  DEFAULT_DISTRIBUTION,
  DISTRIBUTION_SCHEMAS,
  FlowSpecSchema,
  OPERATOR_KINDS,
  OPERATOR_SCHEMAS,
  SINK_SCHEMAS,
  SOURCE_SCHEMAS,
  type FlowSpec,
} from './schema';

/**
 * Validates a parsed document (from `parseFlowDocument`, or any JSON value). Never throws.
 *
 * The value returned on success is a copy with the defaults filled in: `distribution` is
 * `{ strategy: round-robin }` when absent and every sink has `from` (`out` when absent). Nested
 * objects (configs, the generator's event) are shared with `input`.
 */
export function validateFlowSpec(input: unknown): FlowParse<FlowSpec> {
  const walk = new FlowWalk(input);
  walk.run();
  if (walk.problems.size > 0) return { ok: false, problems: walk.problems.list() };
  // The walk accepted it, so it has the declared shape (the tests hold the two to that).
  return { ok: true, value: withDefaults(input as FlowSpec) };
}

function withDefaults(spec: FlowSpec): FlowSpec {
  return {
    ...spec,
    distribution: spec.distribution ?? { ...DEFAULT_DISTRIBUTION },
    sinks: spec.sinks.map((sink) => ({ ...sink, from: sink.from ?? 'out' })),
  };
}

/** Checks a value at a path against its schema: a function, or rules for an object's fields. */
type Rule = Check | ObjectRules;
type Check = (value: unknown, path: FlowPath, schema: TSchema) => void;

interface ObjectRules {
  /** Fields that need more than their schema: variants, lists, CEL, uniqueness, URLs. */
  readonly fields?: Readonly<Record<string, Rule>>;
  /** For a variant of a union, its name ("kind generator") and all the union's variants. */
  readonly variant?: { readonly name: string; readonly all: readonly TObject[] };
}

/** "a, b or c", "a, b and c" */
function wordList(names: readonly string[], conjunction: 'and' | 'or'): string {
  return names.length < 2
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} ${conjunction} ${names[names.length - 1] ?? ''}`;
}

const AGGREGATE_NAME = new RegExp(AGGREGATE_NAME_PATTERN);

class FlowWalk {
  readonly problems = new ProblemList();
  /** The overflow port only carries what a throttle turns away. */
  private readonly hasThrottle: boolean;
  private readonly sourceIds = new Map<string, FlowPath>();
  private readonly sinkIds = new Map<string, FlowPath>();

  constructor(private readonly input: unknown) {
    const pipeline = isRecord(input) ? ownValue(input, 'pipeline') : undefined;
    this.hasThrottle =
      Array.isArray(pipeline) &&
      pipeline.some((operator) => isRecord(operator) && Object.hasOwn(operator, 'throttle'));
  }

  run(): void {
    this.checkObject(FlowSpecSchema, this.input, [], {
      fields: {
        sources: this.list((source, path) =>
          this.checkVariant(SOURCE_SCHEMAS, 'kind', source, path, this.sourceFields),
        ),
        distribution: (value, path) =>
          this.checkVariant(DISTRIBUTION_SCHEMAS, 'strategy', value, path, {
            key: this.expression,
          }),
        pipeline: this.list((operator, path) => this.checkOperator(operator, path)),
        sinks: this.list((sink, path) =>
          this.checkVariant(SINK_SCHEMAS, 'kind', sink, path, this.sinkFields),
        ),
      },
    });
  }

  // Rules for fields ----------------------------------------------------------------------------

  private readonly sourceFields: Readonly<Record<string, Rule>> = {
    id: this.leafThen((id, path) => this.unique(this.sourceIds, id, path)),
    config: {
      fields: {
        url: this.leafThen((url, path) => this.parsesAsUrl(url, path)),
        event: this.leafThen((event, path) => this.generatorEvent(event, path)),
      },
    },
  };

  private readonly sinkFields: Readonly<Record<string, Rule>> = {
    id: this.leafThen((id, path) => this.unique(this.sinkIds, id, path)),
    from: this.leafThen((port, path) => {
      if (port === 'overflow' && !this.hasThrottle) {
        this.problems.add(path, 'is overflow but the pipeline has no throttle');
      }
    }),
    config: { fields: { url: this.leafThen((url, path) => this.parsesAsUrl(url, path)) } },
  };

  private readonly expression: Check = this.leafThen((text, path) => {
    const error = celSyntaxError(text as string);
    if (error !== undefined) this.problems.add(path, `is not a valid CEL expression: ${error}`);
  });

  private readonly operatorRules: Readonly<Record<string, Rule>> = {
    where: this.expression,
    map: this.expression,
    throttle: { fields: { key: this.expression } },
    window: {
      fields: {
        key: this.expression,
        aggregate: (value, path) => this.checkAggregates(value, path),
      },
    },
  };

  /** The value's schema first; `then` only sees values that passed it. */
  private leafThen(then: (value: unknown, path: FlowPath) => void): Check {
    return (value, path, schema) => {
      if (this.leaf(schema, value, path)) then(value, path);
    };
  }

  private list(each: (item: unknown, path: FlowPath) => void): Check {
    return (value, path, schema) => {
      if (!Array.isArray(value)) {
        this.problems.add(path, 'must be an array');
        return;
      }
      const { minItems, maxItems } = schema as TArray;
      if (minItems !== undefined && value.length < minItems) {
        this.problems.add(
          path,
          minItems === 1 ? 'must not be empty' : `must have at least ${minItems} items`,
        );
      }
      if (maxItems !== undefined && value.length > maxItems) {
        this.problems.add(path, `must have at most ${maxItems} items`);
      }
      // Past the limit, items are not looked at: the document is refused already, and listing
      // the problems of a million items helps nobody.
      const checked = Math.min(value.length, maxItems ?? value.length);
      for (let i = 0; i < checked; i++) each(value[i], [...path, i]);
    };
  }

  // Objects and unions ---------------------------------------------------------------------------

  private checkObject(schema: TObject, value: unknown, path: FlowPath, rules: ObjectRules): void {
    if (!isRecord(value)) {
      this.problems.add(path, 'must be an object');
      return;
    }
    const properties = schema.properties as Record<string, TSchema>;
    for (const key of Object.keys(value)) {
      const fieldPath = [...path, key];
      const fieldSchema = ownValue(properties, key);
      if (fieldSchema === undefined) {
        this.unknownField(Object.keys(properties), key, fieldPath, rules.variant);
        continue;
      }
      this.checkField(fieldSchema, ownValue(rules.fields ?? {}, key), value[key], fieldPath);
    }
    for (const key of schema.required ?? []) {
      if (Object.hasOwn(value, key)) continue;
      const variant = rules.variant;
      const always = variant === undefined || variant.all.every((v) => requires(v, key));
      this.problems.add([...path, key], always ? 'is required' : `is required for ${variant.name}`);
    }
  }

  private checkField(
    schema: TSchema,
    rule: Rule | undefined,
    value: unknown,
    path: FlowPath,
  ): void {
    if (typeof rule === 'function') rule(value, path, schema);
    else if (KindGuard.IsObject(schema)) this.checkObject(schema, value, path, rule ?? {});
    else this.leaf(schema, value, path);
  }

  private unknownField(
    known: readonly string[],
    key: string,
    path: FlowPath,
    variant: ObjectRules['variant'],
  ): void {
    if (variant?.all.some((v) => Object.hasOwn(v.properties, key))) {
      this.problems.add(path, `is not allowed for ${variant.name}`);
      return;
    }
    // Past the listed problems only the count matters: spare the search for a suggestion.
    const listed = this.problems.size < FLOW_LIMITS.maxProblems;
    const suggestion = listed ? didYouMean(key, known) : undefined;
    this.problems.add(
      path,
      suggestion === undefined
        ? 'is not a known field'
        : `is not a known field (did you mean ${suggestion}?)`,
    );
  }

  /**
   * A member of a union told apart by `tag` (`kind`, `strategy`). With a known tag the value is
   * checked as that variant; without one, only the fields every variant shares are.
   */
  private checkVariant(
    variants: Readonly<Record<string, TObject>>,
    tag: string,
    value: unknown,
    path: FlowPath,
    fields: Readonly<Record<string, Rule>>,
  ): void {
    if (!isRecord(value)) {
      this.problems.add(path, 'must be an object');
      return;
    }
    const all = Object.values(variants);
    const tagValue = ownValue(value, tag);
    const schema = typeof tagValue === 'string' ? ownValue(variants, tagValue) : undefined;
    if (schema !== undefined) {
      const name = `${tag} ${String(tagValue)}`;
      this.checkObject(schema, value, path, { fields, variant: { name, all } });
      return;
    }
    const shared = sharedFields(variants);
    for (const key of Object.keys(value)) {
      const fieldPath = [...path, key];
      const sharedSchema = shared.get(key);
      if (key === tag) {
        const choices = Object.keys(variants);
        // YAML reads a bare `null` as no value: the null sink has to be written "null".
        const hint =
          tagValue === null && choices.includes('null')
            ? ' (write "null" in quotes for the null sink)'
            : '';
        this.problems.add(fieldPath, `must be one of ${choices.join(', ')}${hint}`);
      } else if (sharedSchema !== undefined) {
        this.checkField(sharedSchema, ownValue(fields, key), value[key], fieldPath);
      } else if (!all.some((v) => Object.hasOwn(v.properties, key))) {
        this.unknownField(knownKeys(all), key, fieldPath, undefined);
      }
      // A field whose shape depends on the variant (config) cannot be judged without the tag.
    }
    if (!Object.hasOwn(value, tag)) this.problems.add([...path, tag], 'is required');
  }

  // Operators ------------------------------------------------------------------------------------

  private checkOperator(operator: unknown, path: FlowPath): void {
    const choices = `one of the keys ${OPERATOR_KINDS.join(', ')}`;
    if (!isRecord(operator)) {
      this.problems.add(path, `must be an object with ${choices}`);
      return;
    }
    const keys = Object.keys(operator);
    const kinds = keys.filter((key) => Object.hasOwn(OPERATOR_SCHEMAS, key));
    if (keys.length === 0) this.problems.add(path, `must have ${choices}`);
    if (kinds.length > 1) {
      this.problems.add(path, `must have exactly ${choices}; it has ${wordList(kinds, 'and')}`);
    }
    for (const key of keys) {
      const keyPath = [...path, key];
      const schema = ownValue(OPERATOR_SCHEMAS, key);
      if (schema === undefined) {
        const suggestion = didYouMean(key, OPERATOR_KINDS);
        this.problems.add(
          keyPath,
          suggestion === undefined
            ? `is not a known operator (use ${wordList(OPERATOR_KINDS, 'or')})`
            : `is not a known operator (did you mean ${suggestion}?)`,
        );
        continue;
      }
      const bodySchema = (schema.properties as Record<string, TSchema>)[key] as TSchema;
      this.checkField(bodySchema, ownValue(this.operatorRules, key), operator[key], keyPath);
    }
  }

  private checkAggregates(value: unknown, path: FlowPath): void {
    if (!isRecord(value)) {
      this.problems.add(path, 'must be an object');
      return;
    }
    const names = Object.keys(value);
    const max = FLOW_LIMITS.maxAggregates;
    if (names.length === 0) this.problems.add(path, 'must name at least one aggregate');
    if (names.length > max) this.problems.add(path, `must have at most ${max} aggregates`);
    const aggregateSchema = Object.values(AggregatesSchema.patternProperties)[0] as TSchema;
    for (const name of names.slice(0, max)) {
      const namePath = [...path, name];
      if (!AGGREGATE_NAME.test(name)) {
        this.problems.add(
          namePath,
          WINDOW_OUTPUT_FIELDS.includes(name)
            ? `is not allowed as an aggregate name: every window emits a field ${name}`
            : 'is not a valid aggregate name (a letter or _, then letters, digits or _; ' +
                `at most ${FLOW_LIMITS.maxAggregateNameLength} characters)`,
        );
      }
      const text = value[name];
      if (!this.leaf(aggregateSchema, text, namePath)) continue;
      const aggregate = parseAggregate(text as string);
      if (aggregate === undefined || aggregate.fn === 'count') continue;
      const error = celSyntaxError(aggregate.expression, text as string, aggregate.offset);
      if (error !== undefined) {
        this.problems.add(namePath, `is not a valid CEL expression: ${error}`);
      }
    }
  }

  // Checks beyond the schema ---------------------------------------------------------------------

  /** Checks `value` against `schema`; true if it passed. */
  private leaf(schema: TSchema, value: unknown, path: FlowPath): boolean {
    const problem = leafProblem(schema, value);
    if (problem !== undefined) this.problems.add(path, problem);
    return problem === undefined;
  }

  private unique(seen: Map<string, FlowPath>, id: unknown, path: FlowPath): void {
    const key = id as string;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, path.slice(0, -1));
    else
      this.problems.add(path, `${JSON.stringify(key)} is already the id of ${formatPath(first)}`);
  }

  private parsesAsUrl(url: unknown, path: FlowPath): void {
    if (!URL.canParse(url as string)) this.problems.add(path, 'must be a valid URL');
  }

  /** The event is copied into every generated event on every worker: bound it, as JSON. */
  private generatorEvent(event: unknown, path: FlowPath): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(event);
    } catch {
      // Cycles, BigInts or nesting too deep to serialise: none can come from a JSON or YAML text.
      json = undefined;
    }
    if (json === undefined) {
      this.problems.add(path, 'must be plain JSON');
    } else if (Buffer.byteLength(json) > FLOW_LIMITS.maxGeneratorEventBytes) {
      this.problems.add(
        path,
        `must be at most ${FLOW_LIMITS.maxGeneratorEventBytes} bytes as JSON`,
      );
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: `constructor` or `__proto__` in a document are fields like any other. */
function ownValue<T>(object: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function requires(schema: TObject, key: string): boolean {
  return (schema.required ?? []).includes(key);
}

const sharedFieldsCache = new WeakMap<object, Map<string, TSchema>>();

/** The fields every variant declares with the same schema (`id`, a sink's `from`). */
function sharedFields(variants: Readonly<Record<string, TObject>>): Map<string, TSchema> {
  const cached = sharedFieldsCache.get(variants);
  if (cached !== undefined) return cached;
  const shared = new Map<string, TSchema>();
  const [first, ...others] = Object.values(variants);
  for (const [key, schema] of Object.entries(first?.properties ?? {})) {
    const shape = JSON.stringify(schema);
    const same = others.every(
      (other) =>
        Object.hasOwn(other.properties, key) && JSON.stringify(other.properties[key]) === shape,
    );
    if (same) shared.set(key, schema);
  }
  sharedFieldsCache.set(variants, shared);
  return shared;
}

function knownKeys(schemas: readonly TObject[]): string[] {
  return [...new Set(schemas.flatMap((schema) => Object.keys(schema.properties)))];
}
