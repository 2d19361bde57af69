import {
  DEFAULT_DISTRIBUTION,
  FLOW_LIMITS,
  operatorKind,
  parseFlowDocument,
  validateFlowSpec,
  type Operator,
} from '../../src/flow-spec';
import {
  CONTRACT_EXAMPLE_YAML,
  expectValid,
  flowWith,
  minimalFlow,
  parseYaml,
  pathsOf,
  problemAt,
  problemsOf,
} from './fixtures';

const throttle = { throttle: { key: 'event.user', rate: 10, interval_ms: 1000 } };

describe('valid flows', () => {
  test('the contract example validates', () => {
    const spec = expectValid(parseYaml(CONTRACT_EXAMPLE_YAML));
    expect(spec.id).toBe('app-logs');
    expect(spec.distribution).toEqual({ strategy: 'hash', key: 'event.application' });
    expect(spec.pipeline.map(operatorKind)).toEqual(['where', 'throttle', 'map']);
    expect(spec.sinks.map((sink) => sink.from)).toEqual(['out', 'overflow']);
  });

  test('the smallest flow validates', () => {
    expectValid(minimalFlow());
  });

  test.each<[string, Operator]>([
    ['where', { where: 'event.level != "debug"' }],
    ['map', { map: '{"app": event.application, "vnode": meta.vnode}' }],
    ['throttle', { throttle: { key: 'event.application', rate: 100, interval_ms: 1000 } }],
    [
      'window',
      {
        window: {
          key: 'event.host',
          size_ms: 60_000,
          aggregate: {
            n: 'count',
            total: 'sum(event.bytes)',
            fastest: 'min(event.ms)',
            slowest: 'max(event.ms)',
            mean: 'avg(event.ms * 1.0)',
          },
        },
      },
    ],
  ])('a %s operator', (kind, operator) => {
    const spec = expectValid(flowWith({ pipeline: [operator] }));
    expect(spec.pipeline.map(operatorKind)).toEqual([kind]);
  });

  test.each([
    ['http without config', { id: 's', kind: 'http' }],
    ['http with empty config', { id: 's', kind: 'http', config: {} }],
    [
      'generator',
      { id: 's', kind: 'generator', config: { rate_per_s: 0.5, event: { msg: 'hi', n: [1] } } },
    ],
    ['redis-stream', { id: 's', kind: 'redis-stream', config: { stream: 'in:logs' } }],
    [
      'redis-stream with url',
      { id: 's', kind: 'redis-stream', config: { stream: 'in', url: 'rediss://r.example:6380/1' } },
    ],
  ])('a source: %s', (_name, source) => {
    expectValid(flowWith({ sources: [source] }));
  });

  test.each([
    ['redis-stream', { id: 'k', kind: 'redis-stream', config: { stream: 'out' } }],
    ['file', { id: 'k', kind: 'file', config: { path: '/var/log/out-{worker}.ndjson' } }],
    ['stdout', { id: 'k', kind: 'stdout' }],
    ['stdout with empty config', { id: 'k', kind: 'stdout', config: {} }],
    ['http', { id: 'k', kind: 'http', config: { url: 'https://example.com/ingest' } }],
    ['null', { id: 'k', kind: 'null' }],
    ['from err', { id: 'k', kind: 'null', from: 'err' }],
  ])('a sink: %s', (_name, sink) => {
    expectValid(flowWith({ sinks: [sink] }));
  });

  test('distribution is optional and defaults to round-robin', () => {
    const spec = expectValid(minimalFlow());
    expect(spec.distribution).toEqual(DEFAULT_DISTRIBUTION);
    expect(spec.distribution).not.toBe(DEFAULT_DISTRIBUTION);
    expectValid(flowWith({ distribution: { strategy: 'round-robin' } }));
    expectValid(flowWith({ distribution: { strategy: 'hash', key: 'event.user' } }));
  });

  test('sinks take port out unless from says otherwise', () => {
    const spec = expectValid(
      flowWith({
        sinks: [
          { id: 'a', kind: 'stdout' },
          { id: 'b', kind: 'null', from: 'err' },
        ],
      }),
    );
    expect(spec.sinks.map((sink) => sink.from)).toEqual(['out', 'err']);
  });

  test('the input is not changed by filling in defaults', () => {
    const input = minimalFlow();
    const before = JSON.stringify(input);
    expectValid(input);
    expect(JSON.stringify(input)).toBe(before);
  });

  test('a source and a sink may share an id', () => {
    expectValid(
      flowWith({ sources: [{ id: 'x', kind: 'http' }], sinks: [{ id: 'x', kind: 'null' }] }),
    );
  });

  test('ids and expressions at their length limits are accepted', () => {
    const id = 'a'.repeat(FLOW_LIMITS.maxIdLength);
    const where = `event.x == "${'y'.repeat(FLOW_LIMITS.maxExpressionLength - 13)}"`;
    expect(where).toHaveLength(FLOW_LIMITS.maxExpressionLength);
    expectValid(flowWith({ id, pipeline: [{ where }] }));
  });

  test('multi-line YAML expressions are accepted', () => {
    const spec = expectValid(
      parseYaml(`id: f
sources: [{ id: in, kind: http }]
pipeline:
  - where: >-
      event.level == "error" ||
      event.level == "fatal"
sinks: [{ id: out, kind: stdout }]
`),
    );
    expect(spec.pipeline).toEqual([{ where: 'event.level == "error" || event.level == "fatal"' }]);
  });
});

describe('one problem per broken rule, at its path', () => {
  test('the contract example with rate 0 gives exactly the contract message', () => {
    const spec = parseYaml(CONTRACT_EXAMPLE_YAML.replace('rate: 100', 'rate: 0'));
    expect(problemsOf(spec)).toEqual([
      { path: 'pipeline[1].throttle.rate', message: 'pipeline[1].throttle.rate must be > 0' },
    ]);
  });

  test.each<[string, unknown, string, string | RegExp]>([
    ['not an object', 42, '', 'the flow must be an object'],
    ['an array', [], '', 'the flow must be an object'],
    ['null', null, '', 'the flow must be an object'],
    ['id missing', { ...minimalFlow(), id: undefined }, 'id', 'id must be a string'],
    ['id empty', flowWith({ id: '' }), 'id', 'id must not be empty'],
    ['id too long', flowWith({ id: 'a'.repeat(65) }), 'id', 'id must be at most 64 characters'],
    [
      'id with a bad character',
      flowWith({ id: 'app logs' }),
      'id',
      'id must be made of letters, digits, _ and - only',
    ],
    ['id a number', flowWith({ id: 7 }), 'id', 'id must be a string'],
    ['sources empty', flowWith({ sources: [] }), 'sources', 'sources must not be empty'],
    ['sources not a list', flowWith({ sources: {} }), 'sources', 'sources must be an array'],
    [
      'source not an object',
      flowWith({ sources: ['in'] }),
      'sources[0]',
      'sources[0] must be an object',
    ],
    [
      'source kind unknown',
      flowWith({ sources: [{ id: 'in', kind: 'kafka' }] }),
      'sources[0].kind',
      'sources[0].kind must be one of http, generator, redis-stream',
    ],
    [
      'source kind missing',
      flowWith({ sources: [{ id: 'in' }] }),
      'sources[0].kind',
      'sources[0].kind is required',
    ],
    [
      'source id missing',
      flowWith({ sources: [{ kind: 'http' }] }),
      'sources[0].id',
      'sources[0].id is required',
    ],
    [
      'http source with settings',
      flowWith({ sources: [{ id: 'in', kind: 'http', config: { port: 1 } }] }),
      'sources[0].config.port',
      'sources[0].config.port is not a known field',
    ],
    [
      'generator without config',
      flowWith({ sources: [{ id: 'g', kind: 'generator' }] }),
      'sources[0].config',
      'sources[0].config is required for kind generator',
    ],
    [
      'generator rate 0',
      flowWith({ sources: [{ id: 'g', kind: 'generator', config: { rate_per_s: 0, event: {} } }] }),
      'sources[0].config.rate_per_s',
      'sources[0].config.rate_per_s must be > 0',
    ],
    [
      'generator event a list',
      flowWith({ sources: [{ id: 'g', kind: 'generator', config: { rate_per_s: 1, event: [] } }] }),
      'sources[0].config.event',
      'sources[0].config.event must be an object',
    ],
    [
      'generator event missing',
      flowWith({ sources: [{ id: 'g', kind: 'generator', config: { rate_per_s: 1 } }] }),
      'sources[0].config.event',
      'sources[0].config.event is required',
    ],
    [
      'redis-stream source without stream',
      flowWith({ sources: [{ id: 'r', kind: 'redis-stream', config: {} }] }),
      'sources[0].config.stream',
      'sources[0].config.stream is required',
    ],
    [
      'redis-stream source with an empty stream',
      flowWith({ sources: [{ id: 'r', kind: 'redis-stream', config: { stream: '' } }] }),
      'sources[0].config.stream',
      'sources[0].config.stream must not be empty',
    ],
    [
      'redis-stream source with an http url',
      flowWith({
        sources: [{ id: 'r', kind: 'redis-stream', config: { stream: 's', url: 'http://x' } }],
      }),
      'sources[0].config.url',
      'sources[0].config.url must be a redis:// or rediss:// URL',
    ],
    [
      'redis-stream source with a broken url',
      flowWith({
        sources: [{ id: 'r', kind: 'redis-stream', config: { stream: 's', url: 'redis://[' } }],
      }),
      'sources[0].config.url',
      'sources[0].config.url must be a valid URL',
    ],
    [
      'duplicate source ids',
      flowWith({
        sources: [
          { id: 'in', kind: 'http' },
          { id: 'in', kind: 'http' },
        ],
      }),
      'sources[1].id',
      'sources[1].id "in" is already the id of sources[0]',
    ],
    [
      'distribution not an object',
      flowWith({ distribution: 'hash' }),
      'distribution',
      'distribution must be an object',
    ],
    [
      'distribution strategy unknown',
      flowWith({ distribution: { strategy: 'random' } }),
      'distribution.strategy',
      'distribution.strategy must be one of hash, round-robin',
    ],
    [
      'distribution strategy missing',
      flowWith({ distribution: {} }),
      'distribution.strategy',
      'distribution.strategy is required',
    ],
    [
      'hash without key',
      flowWith({ distribution: { strategy: 'hash' } }),
      'distribution.key',
      'distribution.key is required for strategy hash',
    ],
    [
      'round-robin with key',
      flowWith({ distribution: { strategy: 'round-robin', key: 'event.a' } }),
      'distribution.key',
      'distribution.key is not allowed for strategy round-robin',
    ],
    [
      'hash key not CEL',
      flowWith({ distribution: { strategy: 'hash', key: 'event.' } }),
      'distribution.key',
      /^distribution\.key is not a valid CEL expression: .+ at column \d+$/,
    ],
    [
      'pipeline missing',
      { ...minimalFlow(), pipeline: undefined },
      'pipeline',
      'pipeline must be an array',
    ],
    [
      'pipeline not a list',
      flowWith({ pipeline: { where: 'true' } }),
      'pipeline',
      'pipeline must be an array',
    ],
    [
      'operator not an object',
      flowWith({ pipeline: ['where true'] }),
      'pipeline[0]',
      'pipeline[0] must be an object with one of the keys where, map, throttle, window',
    ],
    [
      'operator with no key',
      flowWith({ pipeline: [{}] }),
      'pipeline[0]',
      'pipeline[0] must have one of the keys where, map, throttle, window',
    ],
    [
      'operator with two keys',
      flowWith({ pipeline: [{ where: 'true', map: 'event' }] }),
      'pipeline[0]',
      'pipeline[0] must have exactly one of the keys where, map, throttle, window; it has where and map',
    ],
    [
      'unknown operator',
      flowWith({ pipeline: [{ filter: 'true' }] }),
      'pipeline[0].filter',
      'pipeline[0].filter is not a known operator (use where, map, throttle or window)',
    ],
    [
      'misspelt operator',
      flowWith({ pipeline: [{ wher: 'true' }] }),
      'pipeline[0].wher',
      'pipeline[0].wher is not a known operator (did you mean where?)',
    ],
    [
      'where empty',
      flowWith({ pipeline: [{ where: '' }] }),
      'pipeline[0].where',
      'pipeline[0].where must not be empty',
    ],
    [
      'where not a string',
      flowWith({ pipeline: [{ where: true }] }),
      'pipeline[0].where',
      'pipeline[0].where must be a string',
    ],
    [
      'where not CEL',
      flowWith({ pipeline: [{ where: 'event.level ==' }] }),
      'pipeline[0].where',
      'pipeline[0].where is not a valid CEL expression: Unexpected token: EOF at column 15',
    ],
    [
      'map not CEL, on its second line',
      flowWith({ pipeline: [{ map: '{\n  "a": event.a,,\n}' }] }),
      'pipeline[0].map',
      /^pipeline\[0\]\.map is not a valid CEL expression: .+ at line 2, column 16$/,
    ],
    [
      'throttle not an object',
      flowWith({ pipeline: [{ throttle: 10 }] }),
      'pipeline[0].throttle',
      'pipeline[0].throttle must be an object',
    ],
    [
      'throttle rate a fraction',
      flowWith({ pipeline: [{ throttle: { key: 'event.a', rate: 1.5, interval_ms: 1000 } }] }),
      'pipeline[0].throttle.rate',
      'pipeline[0].throttle.rate must be an integer',
    ],
    [
      'throttle rate a string',
      flowWith({ pipeline: [{ throttle: { key: 'event.a', rate: '10', interval_ms: 1000 } }] }),
      'pipeline[0].throttle.rate',
      'pipeline[0].throttle.rate must be an integer',
    ],
    [
      'throttle interval negative',
      flowWith({ pipeline: [{ throttle: { key: 'event.a', rate: 1, interval_ms: -5 } }] }),
      'pipeline[0].throttle.interval_ms',
      'pipeline[0].throttle.interval_ms must be > 0',
    ],
    [
      'throttle interval over a week',
      flowWith({
        pipeline: [
          { throttle: { key: 'event.a', rate: 1, interval_ms: FLOW_LIMITS.maxDurationMs + 1 } },
        ],
      }),
      'pipeline[0].throttle.interval_ms',
      `pipeline[0].throttle.interval_ms must be <= ${FLOW_LIMITS.maxDurationMs}`,
    ],
    [
      'throttle key missing',
      flowWith({ pipeline: [{ throttle: { rate: 1, interval_ms: 1 } }] }),
      'pipeline[0].throttle.key',
      'pipeline[0].throttle.key is required',
    ],
    [
      'throttle key not CEL',
      flowWith({ pipeline: [{ throttle: { key: '(', rate: 1, interval_ms: 1 } }] }),
      'pipeline[0].throttle.key',
      /^pipeline\[0\]\.throttle\.key is not a valid CEL expression: /,
    ],
    [
      'window size 0',
      flowWith({
        pipeline: [{ window: { key: 'event.a', size_ms: 0, aggregate: { n: 'count' } } }],
      }),
      'pipeline[0].window.size_ms',
      'pipeline[0].window.size_ms must be > 0',
    ],
    [
      'window without aggregates',
      flowWith({ pipeline: [{ window: { key: 'event.a', size_ms: 1 } }] }),
      'pipeline[0].window.aggregate',
      'pipeline[0].window.aggregate is required',
    ],
    [
      'window with empty aggregates',
      flowWith({ pipeline: [{ window: { key: 'event.a', size_ms: 1, aggregate: {} } }] }),
      'pipeline[0].window.aggregate',
      'pipeline[0].window.aggregate must name at least one aggregate',
    ],
    [
      'aggregate of an unknown function',
      flowWith({
        pipeline: [{ window: { key: 'event.a', size_ms: 1, aggregate: { m: 'median(event.x)' } } }],
      }),
      'pipeline[0].window.aggregate.m',
      'pipeline[0].window.aggregate.m must be one of count, sum(EXPR), min(EXPR), max(EXPR), avg(EXPR)',
    ],
    [
      'aggregate not a string',
      flowWith({ pipeline: [{ window: { key: 'event.a', size_ms: 1, aggregate: { n: 1 } } }] }),
      'pipeline[0].window.aggregate.n',
      'pipeline[0].window.aggregate.n must be a string',
    ],
    [
      'aggregate expression not CEL',
      flowWith({
        pipeline: [{ window: { key: 'event.a', size_ms: 1, aggregate: { s: 'sum(event.a +)' } } }],
      }),
      'pipeline[0].window.aggregate.s',
      // The column is the one in the whole aggregate text, where ")" ends the expression early.
      'pipeline[0].window.aggregate.s is not a valid CEL expression: Unexpected token: EOF at column 14',
    ],
    [
      'two aggregates in one',
      flowWith({
        pipeline: [
          {
            window: { key: 'event.a', size_ms: 1, aggregate: { s: 'sum(event.a) + sum(event.b)' } },
          },
        ],
      }),
      'pipeline[0].window.aggregate.s',
      /^pipeline\[0\]\.window\.aggregate\.s is not a valid CEL expression: /,
    ],
    [
      'aggregate named like an output field',
      flowWith({
        pipeline: [
          { window: { key: 'event.a', size_ms: 1, aggregate: { window_start: 'count' } } },
        ],
      }),
      'pipeline[0].window.aggregate.window_start',
      'pipeline[0].window.aggregate.window_start is not allowed as an aggregate name: every window emits a field window_start',
    ],
    [
      'aggregate name not an identifier',
      flowWith({
        pipeline: [{ window: { key: 'event.a', size_ms: 1, aggregate: { '2x': 'count' } } }],
      }),
      'pipeline[0].window.aggregate["2x"]',
      /^pipeline\[0\]\.window\.aggregate\["2x"\] is not a valid aggregate name/,
    ],
    ['sinks empty', flowWith({ sinks: [] }), 'sinks', 'sinks must not be empty'],
    [
      'sink kind unknown',
      flowWith({ sinks: [{ id: 'o', kind: 'kafka' }] }),
      'sinks[0].kind',
      'sinks[0].kind must be one of redis-stream, file, stdout, http, null',
    ],
    [
      'sink from unknown',
      flowWith({ sinks: [{ id: 'o', kind: 'null', from: 'in' }] }),
      'sinks[0].from',
      'sinks[0].from must be one of out, overflow, err',
    ],
    [
      'overflow without throttle',
      flowWith({
        sinks: [
          { id: 'o', kind: 'null' },
          { id: 'd', kind: 'null', from: 'overflow' },
        ],
      }),
      'sinks[1].from',
      'sinks[1].from is overflow but the pipeline has no throttle',
    ],
    [
      'redis-stream sink without config',
      flowWith({ sinks: [{ id: 'o', kind: 'redis-stream' }] }),
      'sinks[0].config',
      'sinks[0].config is required for kind redis-stream',
    ],
    [
      'file sink without path',
      flowWith({ sinks: [{ id: 'o', kind: 'file', config: {} }] }),
      'sinks[0].config.path',
      'sinks[0].config.path is required',
    ],
    [
      'file sink with an empty path',
      flowWith({ sinks: [{ id: 'o', kind: 'file', config: { path: '' } }] }),
      'sinks[0].config.path',
      'sinks[0].config.path must not be empty',
    ],
    [
      'file sink path with NUL',
      flowWith({ sinks: [{ id: 'o', kind: 'file', config: { path: '/tmp/a\u0000b' } }] }),
      'sinks[0].config.path',
      'sinks[0].config.path must be free of NUL characters',
    ],
    [
      'http sink without url',
      flowWith({ sinks: [{ id: 'o', kind: 'http', config: {} }] }),
      'sinks[0].config.url',
      'sinks[0].config.url is required',
    ],
    [
      'http sink with an ftp url',
      flowWith({ sinks: [{ id: 'o', kind: 'http', config: { url: 'ftp://example.com/x' } }] }),
      'sinks[0].config.url',
      'sinks[0].config.url must be an http:// or https:// URL',
    ],
    [
      'http sink with a url without host',
      flowWith({ sinks: [{ id: 'o', kind: 'http', config: { url: 'http://' } }] }),
      'sinks[0].config.url',
      'sinks[0].config.url must be a valid URL',
    ],
    [
      'stdout sink with settings',
      flowWith({ sinks: [{ id: 'o', kind: 'stdout', config: { pretty: true } }] }),
      'sinks[0].config.pretty',
      'sinks[0].config.pretty is not a known field',
    ],
    [
      'null sink with config not an object',
      flowWith({ sinks: [{ id: 'o', kind: 'null', config: null }] }),
      'sinks[0].config',
      'sinks[0].config must be an object',
    ],
    [
      'duplicate sink ids',
      flowWith({
        sinks: [
          { id: 'o', kind: 'null' },
          { id: 'p', kind: 'null' },
          { id: 'o', kind: 'stdout' },
        ],
      }),
      'sinks[2].id',
      'sinks[2].id "o" is already the id of sinks[0]',
    ],
  ])('%s', (_name, input, path, message) => {
    const problem = problemAt(input, path);
    if (typeof message === 'string') expect(problem.message).toBe(message);
    else expect(problem.message).toMatch(message);
  });

  test('a missing top-level field is named', () => {
    const { id: _id, ...withoutId } = minimalFlow();
    expect(problemsOf(withoutId)).toEqual([{ path: 'id', message: 'id is required' }]);
    expect(pathsOf({})).toEqual(['id', 'sources', 'pipeline', 'sinks']);
  });

  test('the overflow port is fine when the pipeline has a throttle', () => {
    expectValid(
      flowWith({
        pipeline: [throttle],
        sinks: [
          { id: 'o', kind: 'null' },
          { id: 'd', kind: 'null', from: 'overflow' },
        ],
      }),
    );
  });

  test('an invalid throttle does not add an overflow problem', () => {
    const input = flowWith({
      pipeline: [{ throttle: { key: 'event.a', rate: 0, interval_ms: 1 } }],
      sinks: [{ id: 'd', kind: 'null', from: 'overflow' }],
    });
    expect(pathsOf(input)).toEqual(['pipeline[0].throttle.rate']);
  });

  test('the kind of a source decides which config fields are known', () => {
    const input = flowWith({
      sources: [{ id: 'g', kind: 'generator', config: { stream: 'x', rate_per_s: 1, event: {} } }],
    });
    expect(problemsOf(input)).toEqual([
      {
        path: 'sources[0].config.stream',
        message: 'sources[0].config.stream is not a known field',
      },
    ]);
  });

  test('without a known kind, the config is not judged but id and unknown fields are', () => {
    const input = flowWith({
      sinks: [{ id: 'bad id', kind: 'nope', config: { anything: 1 }, colour: 'red' }],
    });
    expect(pathsOf(input)).toEqual(['sinks[0].id', 'sinks[0].kind', 'sinks[0].colour']);
  });

  test('a generator event that does not fit in a JSON text is refused', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const generator = (event: unknown) =>
      flowWith({ sources: [{ id: 'g', kind: 'generator', config: { rate_per_s: 1, event } }] });
    expect(problemAt(generator(cyclic), 'sources[0].config.event').message).toBe(
      'sources[0].config.event must be plain JSON',
    );
    const big = { text: 'x'.repeat(FLOW_LIMITS.maxGeneratorEventBytes) };
    expect(problemAt(generator(big), 'sources[0].config.event').message).toBe(
      `sources[0].config.event must be at most ${FLOW_LIMITS.maxGeneratorEventBytes} bytes as JSON`,
    );
  });
});

describe('unknown fields', () => {
  test.each([
    ['at the root', { ...minimalFlow(), name: 'x' }, 'name', 'name is not a known field'],
    [
      'in a source',
      flowWith({ sources: [{ id: 'in', kind: 'http', port: 80 }] }),
      'sources[0].port',
      'sources[0].port is not a known field',
    ],
    [
      'in a sink, misspelt',
      flowWith({ sinks: [{ id: 'o', kind: 'file', confg: { path: '/x' } }] }),
      'sinks[0].confg',
      'sinks[0].confg is not a known field (did you mean config?)',
    ],
    [
      'in a sink config',
      flowWith({ sinks: [{ id: 'o', kind: 'redis-stream', config: { stream: 's', maxlen: 5 } }] }),
      'sinks[0].config.maxlen',
      'sinks[0].config.maxlen is not a known field',
    ],
    [
      'in the distribution',
      flowWith({ distribution: { strategy: 'hash', key: 'event.a', seed: 1 } }),
      'distribution.seed',
      'distribution.seed is not a known field',
    ],
    [
      'in a throttle',
      flowWith({ pipeline: [{ throttle: { ...throttle.throttle, burst: 5 } }] }),
      'pipeline[0].throttle.burst',
      'pipeline[0].throttle.burst is not a known field',
    ],
    [
      'in a throttle, misspelt',
      flowWith({ pipeline: [{ throttle: { key: 'event.a', rate: 1, interval: 5 } }] }),
      'pipeline[0].throttle.interval',
      'pipeline[0].throttle.interval is not a known field (did you mean interval_ms?)',
    ],
    [
      'in a window',
      flowWith({
        pipeline: [
          { window: { key: 'event.a', size_ms: 1, emit_early: true, aggregate: { n: 'count' } } },
        ],
      }),
      'pipeline[0].window.emit_early',
      'pipeline[0].window.emit_early is not a known field',
    ],
    [
      'with a name that is not an identifier',
      { ...minimalFlow(), 'my field': 1 },
      '["my field"]',
      '["my field"] is not a known field',
    ],
    [
      'named like an Object.prototype member',
      { ...minimalFlow(), constructor: 1 },
      'constructor',
      'constructor is not a known field',
    ],
  ])('%s', (_name, input, path, message) => {
    expect(problemAt(input, path).message).toBe(message);
  });

  test('a __proto__ field parsed from JSON is an unknown field, not a prototype', () => {
    const input: unknown = JSON.parse(
      '{"id":"f","sources":[{"id":"in","kind":"http"}],"pipeline":[],' +
        '"sinks":[{"id":"o","kind":"null"}],"__proto__":{"id":"x"}}',
    );
    expect(problemsOf(input)).toEqual([
      { path: '__proto__', message: '__proto__ is not a known field' },
    ]);
  });

  test('a huge unknown field name is shortened in the path', () => {
    const name = 'x'.repeat(100_000);
    const [problem] = problemsOf({ ...minimalFlow(), [name]: 1 });
    expect(problem?.path).toBe(`${'x'.repeat(64)}…`);
    expect(problem?.message.length).toBeLessThan(200);
  });
});

describe('all the problems, in document order', () => {
  test('several problems at once are all listed', () => {
    const input = parseYaml(`id: "bad id!"
sources:
  - { id: in, kind: http, extra: 1 }
  - { id: in, kind: generator }
distribution: { strategy: hash }
pipeline:
  - where: 'event.level =='
  - throttle: { key: event.app, rate: 0, interval_ms: 1.5 }
  - { map: event, where: "true" }
sinks:
  - { id: out, kind: file, confg: { path: /x } }
  - { id: out, kind: http, config: { url: "ftp://x" } }
  - { id: err, kind: stdout, from: err }
`);
    expect(pathsOf(input)).toEqual([
      'id',
      'sources[0].extra',
      'sources[1].id',
      'sources[1].config',
      'distribution.key',
      'pipeline[0].where',
      'pipeline[1].throttle.rate',
      'pipeline[1].throttle.interval_ms',
      'pipeline[2]',
      'sinks[0].confg',
      'sinks[0].config',
      'sinks[1].id',
      'sinks[1].config.url',
    ]);
  });

  test('the order follows the document, not the schema', () => {
    const input = {
      sinks: [{ id: 'o', kind: 'null', extra: 1 }],
      pipeline: [{ where: '' }],
      sources: [],
      id: '',
    };
    expect(pathsOf(input)).toEqual(['sinks[0].extra', 'pipeline[0].where', 'sources', 'id']);
  });

  test('the same input always gives the same problems', () => {
    const input = flowWith({ id: '', sources: [{}], sinks: [{ kind: 'x' }], pipeline: [{}, 3] });
    expect(validateFlowSpec(input)).toEqual(validateFlowSpec(structuredClone(input)));
  });
});

describe('limits', () => {
  test('too many operators, sources and sinks', () => {
    const input = flowWith({
      sources: Array.from({ length: FLOW_LIMITS.maxSources + 1 }, (_, i) => ({
        id: `s${i}`,
        kind: 'http',
      })),
      pipeline: Array.from({ length: FLOW_LIMITS.maxOperators + 1 }, () => ({ where: 'true' })),
      sinks: Array.from({ length: FLOW_LIMITS.maxSinks + 1 }, (_, i) => ({
        id: `k${i}`,
        kind: 'null',
      })),
    });
    expect(problemsOf(input)).toEqual([
      { path: 'sources', message: `sources must have at most ${FLOW_LIMITS.maxSources} items` },
      {
        path: 'pipeline',
        message: `pipeline must have at most ${FLOW_LIMITS.maxOperators} items`,
      },
      { path: 'sinks', message: `sinks must have at most ${FLOW_LIMITS.maxSinks} items` },
    ]);
  });

  test('an expression too long', () => {
    const where = `event.a == "${'x'.repeat(FLOW_LIMITS.maxExpressionLength)}"`;
    expect(problemAt(flowWith({ pipeline: [{ where }] }), 'pipeline[0].where').message).toBe(
      `pipeline[0].where must be at most ${FLOW_LIMITS.maxExpressionLength} characters`,
    );
  });

  test('an expression nested too deep for the parser is a problem, not a crash', () => {
    const where = `${'('.repeat(1000)}1${')'.repeat(1000)}`;
    expect(problemAt(flowWith({ pipeline: [{ where }] }), 'pipeline[0].where').message).toMatch(
      /^pipeline\[0\]\.where is not a valid CEL expression: Exceeded maxDepth/,
    );
  });

  test('too many aggregates', () => {
    const aggregate = Object.fromEntries(
      Array.from({ length: FLOW_LIMITS.maxAggregates + 1 }, (_, i) => [`a${i}`, 'count']),
    );
    const input = flowWith({ pipeline: [{ window: { key: 'event.a', size_ms: 1, aggregate } }] });
    expect(problemsOf(input)).toEqual([
      {
        path: 'pipeline[0].window.aggregate',
        message: `pipeline[0].window.aggregate must have at most ${FLOW_LIMITS.maxAggregates} aggregates`,
      },
    ]);
  });

  test('huge inputs are answered quickly with a bounded list of problems', () => {
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i]));
    const started = Date.now();
    const problems = problemsOf({
      ...many,
      sources: Array.from({ length: 1_000_000 }, () => 'x'),
      id: 'i'.repeat(10_000_000),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(problems).toHaveLength(FLOW_LIMITS.maxProblems);
    // 100,000 unknown fields; sources too long, and its first 16 items not objects; id too long;
    // pipeline and sinks missing.
    const total = 100_000 + 1 + 16 + 1 + 2;
    expect(problems[FLOW_LIMITS.maxProblems - 1]).toEqual({
      path: '',
      message: `${total - (FLOW_LIMITS.maxProblems - 1)} more problems are not listed`,
    });
  });

  test('deep nesting anywhere is refused without exhausting the stack', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { d: [deep] };
    for (const input of [
      deep,
      flowWith({ sources: [deep] }),
      flowWith({ pipeline: [deep] }),
      flowWith({ sinks: [{ id: 'o', kind: 'null', config: deep }] }),
      flowWith({
        sources: [{ id: 'g', kind: 'generator', config: { rate_per_s: 1, event: deep } }],
      }),
    ]) {
      expect(validateFlowSpec(input).ok).toBe(false);
    }
  });
});

describe('YAML null as a sink kind', () => {
  it('hints that the null sink must be quoted', () => {
    const doc = parseFlowDocument(
      'id: f\nsources: [{ id: in, kind: http }]\npipeline: []\nsinks: [{ id: out, kind: null }]\n',
      'yaml',
    );
    if (!doc.ok) throw new Error('the YAML parses');
    const res = validateFlowSpec(doc.value);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.problems[0]?.message).toContain('write "null" in quotes');
  });
});
