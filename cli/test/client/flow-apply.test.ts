import { REWRITE_LINE } from '../../client/progress';
import { apiError, DEMO_FLOW, FakeApi, tremor, VirtualClock, type FakeAnswer } from './harness';

const DEMO_YAML = `id: demo
sources:
  - { id: in, kind: http }
distribution: { strategy: round-robin }
pipeline: []
sinks:
  - id: out
    kind: "null"
`;

function flowView(workersReady: number, workersTotal: number) {
  return {
    body: {
      id: 'demo',
      spec: DEMO_FLOW,
      status: 'running',
      revision: 3,
      deployment: { workersReady, workersTotal },
    },
  };
}

/** Answers in turn, the last one from then on. */
function inTurn(...answers: FakeAnswer[]): () => FakeAnswer {
  let next = 0;
  return () => answers[Math.min(next++, answers.length - 1)] ?? {};
}

const files = {
  'demo.json': JSON.stringify(DEMO_FLOW),
  'demo.yaml': DEMO_YAML,
  'demo.yml': DEMO_YAML,
  'demo.flow': DEMO_YAML,
  'demo.txt': JSON.stringify(DEMO_FLOW),
};

describe('tremor flow apply FILE', () => {
  it.each(Object.keys(files))(
    '%s: sends the flow as JSON to PUT /v1/flows/:id and says it was created',
    async (file) => {
      const fake = new FakeApi().on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 1) });
      const run = await tremor(['flow', 'apply', file], { fetch: fake.fetch, files });
      expect(run.stderr).toBe('');
      expect(run.exits).toEqual([0]);
      expect(run.stdout).toBe('flow demo created\n');
      expect(fake.calls()).toEqual(['PUT /v1/flows/demo']);
      const [request] = fake.requests;
      expect(request?.body).toEqual(DEMO_FLOW);
      expect(request?.headers.get('content-type')).toBe('application/json');
    },
  );

  it('says "updated" when the API answers 200', async () => {
    const fake = new FakeApi().on('PUT /v1/flows/demo', { status: 200, ...flowView(1, 1) });
    const run = await tremor(['flow', 'apply', 'demo.yaml'], { fetch: fake.fetch, files });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe('flow demo updated\n');
  });

  it('puts the id in the path encoded', async () => {
    const fake = new FakeApi().on('PUT /v1/flows/a%2Fb%20c', { status: 201, ...flowView(0, 0) });
    const run = await tremor(['flow', 'apply', 'f.json'], {
      fetch: fake.fetch,
      files: { 'f.json': JSON.stringify({ ...DEMO_FLOW, id: 'a/b c' }) },
    });
    expect(run.exits).toEqual([0]);
    expect(fake.calls()).toEqual(['PUT /v1/flows/a%2Fb%20c']);
  });

  describe('an invalid flow is a usage error (exit 2) naming the file', () => {
    it('TREMOR_FLOW_INVALID from the API: file, code, message and every detail', async () => {
      const fake = new FakeApi().on(
        'PUT /v1/flows/demo',
        apiError(400, 'TREMOR_FLOW_INVALID', 'sources must not be empty (and 2 more problems)', [
          { path: 'sources', message: 'sources must not be empty' },
          { path: 'pipeline[0].throttle.rate', message: 'pipeline[0].throttle.rate must be > 0' },
          { path: 'sinks[0]', message: 'an unnamed problem' },
        ]),
      );
      const run = await tremor(['flow', 'apply', 'demo.yaml'], { fetch: fake.fetch, files });
      expect(run.exits).toEqual([2]);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        [
          'tremor: demo.yaml: TREMOR_FLOW_INVALID: sources must not be empty (and 2 more problems)',
          '  - sources must not be empty',
          '  - pipeline[0].throttle.rate must be > 0',
          '  - sinks[0]: an unnamed problem',
          '',
        ].join('\n'),
      );
    });

    it.each([
      ['missing.yaml', /^tremor: error: missing\.yaml: cannot read the flow file: ENOENT/],
      [
        'broken.json',
        /^tremor: error: broken\.json: the flow is not valid JSON: .* at line 1, column 8\n$/,
      ],
      [
        'broken.yaml',
        /^tremor: error: broken\.yaml: the flow is not valid YAML: .* at line 2, column 1/,
      ],
      [
        'broken.conf',
        /^tremor: error: broken\.conf: the flow is not valid YAML: .*\(not JSON either; name the file \.json or \.yaml to say which\)\n$/,
      ],
      [
        'list.yaml',
        /^tremor: error: list\.yaml: a flow is a mapping \(id, sources, pipeline, sinks\), not a list\n$/,
      ],
      ['empty.yaml', /^tremor: error: empty\.yaml: a flow is a mapping .*, not empty\n$/],
      ['noid.json', /^tremor: error: noid\.json: the flow has no id\n$/],
      [
        'numid.yaml',
        /^tremor: error: numid\.yaml: the flow's id must be a non-empty string, not a number\n$/,
      ],
      [
        'emptyid.json',
        /^tremor: error: emptyid\.json: the flow's id must be a non-empty string, not an empty string\n$/,
      ],
    ])('%s', async (file, message) => {
      const fake = new FakeApi();
      const run = await tremor(['flow', 'apply', file], {
        fetch: fake.fetch,
        files: {
          'broken.json': '{"id": }',
          'broken.yaml': 'id: [demo\n',
          'broken.conf': 'id: [demo\n',
          'list.yaml': '- id: demo\n',
          'empty.yaml': '',
          'noid.json': '{"sources": []}',
          'numid.yaml': 'id: 12\n',
          'emptyid.json': '{"id": ""}',
        },
      });
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toMatch(message);
      expect(fake.requests).toEqual([]);
    });
  });

  it.each([
    [
      apiError(503, 'TREMOR_NO_LEADER', 'no leader is known'),
      'tremor: TREMOR_NO_LEADER: no leader is known\n',
    ],
    [
      apiError(409, 'TREMOR_CLUSTER_NAME_MISMATCH', 'wrong cluster', [{ expected: 'a', got: 'b' }]),
      'tremor: TREMOR_CLUSTER_NAME_MISMATCH: wrong cluster\n  - {"expected":"a","got":"b"}\n',
    ],
    [
      { status: 502, text: '<html><body>Bad   Gateway</body></html>' },
      'tremor: HTTP 502: the answer is not a tremor error: <html><body>Bad Gateway</body></html>\n',
    ],
  ])('other API errors exit 1: %j', async (answer, stderr) => {
    const fake = new FakeApi().on('PUT /v1/flows/demo', answer);
    const run = await tremor(['flow', 'apply', 'demo.json'], { fetch: fake.fetch, files });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toBe(stderr);
  });

  describe('usage errors of commander and of the flags exit 2', () => {
    it.each([
      [['flow', 'apply'], "tremor: error: missing required argument 'FILE'"],
      [['flow', 'apply', 'demo.json', '--bogus'], "tremor: error: unknown option '--bogus'"],
      [
        ['flow', 'apply', 'demo.json', '--timeout', '5'],
        'tremor: error: --timeout is only valid with --wait',
      ],
      [
        ['flow', 'apply', 'demo.json', '--wait', '--timeout', '0'],
        "tremor: error: option '--timeout <SECONDS>' argument '0' is invalid",
      ],
      [
        ['flow', 'apply', 'demo.json', '--wait', '--timeout', 'soon'],
        "tremor: error: option '--timeout <SECONDS>' argument 'soon' is invalid",
      ],
      [
        ['flow', 'apply', 'demo.json', '--wait', '--timeout'],
        "tremor: error: option '--timeout <SECONDS>' argument missing",
      ],
    ])('%j', async (args, message) => {
      const fake = new FakeApi();
      const run = await tremor(args, { fetch: fake.fetch, files });
      expect(run.exits).toEqual([2]);
      expect(run.stderr.startsWith(message)).toBe(true);
      expect(fake.requests).toEqual([]);
    });
  });
});

describe('tremor flow apply FILE --wait', () => {
  const rising = () =>
    new FakeApi()
      .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 2) })
      .on(
        'GET /v1/flows/demo',
        inTurn(flowView(0, 2), flowView(0, 2), flowView(1, 2), flowView(2, 2)),
      );

  it('on a terminal, redraws one line in place: spinner, count and time, then clears it', async () => {
    const fake = rising();
    const clock = new VirtualClock();
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: fake.fetch,
      files,
      clock,
      isTTY: true,
    });
    expect(run.stderr).toBe('');
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(
      'flow demo created\n' +
        `${REWRITE_LINE}| flow demo: 0/2 workers running (0.0s)` +
        `${REWRITE_LINE}/ flow demo: 0/2 workers running (0.2s)` +
        `${REWRITE_LINE}- flow demo: 1/2 workers running (0.4s)` +
        REWRITE_LINE +
        'flow demo: every live worker runs it (2/2, 0.6s)\n',
    );
    expect(clock.sleeps).toEqual([200, 200, 200]);
    expect(fake.calls()).toEqual([
      'PUT /v1/flows/demo',
      'GET /v1/flows/demo',
      'GET /v1/flows/demo',
      'GET /v1/flows/demo',
      'GET /v1/flows/demo',
    ]);
  });

  it('elsewhere, writes a plain line each time the count changes', async () => {
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: rising().fetch,
      files,
      isTTY: false,
    });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(
      [
        'flow demo created',
        'flow demo: 0/2 workers running (0.0s)',
        'flow demo: 1/2 workers running (0.4s)',
        'flow demo: every live worker runs it (2/2, 0.6s)',
        '',
      ].join('\n'),
    );
  });

  it('prints no progress when every worker runs the flow at the first look', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/demo', { status: 200, ...flowView(3, 3) })
      .on('GET /v1/flows/demo', flowView(3, 3));
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: fake.fetch,
      files,
      isTTY: true,
    });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(
      'flow demo updated\nflow demo: every live worker runs it (3/3, 0.0s)\n',
    );
  });

  it('with no live worker, says the flow waits on stand-by and succeeds', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 0) })
      .on('GET /v1/flows/demo', flowView(0, 0));
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: fake.fetch,
      files,
    });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(
      'flow demo created\nflow demo: the cluster has no live worker; the flow waits on stand-by and starts when a worker joins\n',
    );
    expect(fake.calls()).toEqual(['PUT /v1/flows/demo', 'GET /v1/flows/demo']);
  });

  it.each([true, false])(
    'gives up after --timeout, exit 1, saying how many workers were ready (tty: %s)',
    async (isTTY) => {
      const fake = new FakeApi()
        .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 3) })
        .on('GET /v1/flows/demo', flowView(1, 3));
      const clock = new VirtualClock();
      const run = await tremor(['flow', 'apply', 'demo.json', '--wait', '--timeout', '0.5'], {
        fetch: fake.fetch,
        files,
        clock,
        isTTY,
      });
      expect(run.exits).toEqual([1]);
      expect(run.stderr).toBe(
        'tremor: flow demo: gave up waiting after 0.5s: 1 of 3 workers run it (the flow is applied; the others may still catch up)\n',
      );
      expect(clock.sleeps).toEqual([200, 200, 100]);
      // The progress line is gone before the error is written.
      if (isTTY) expect(run.stdout.endsWith(REWRITE_LINE)).toBe(true);
      else expect(run.stdout).toBe('flow demo created\nflow demo: 1/3 workers running (0.0s)\n');
    },
  );

  it('waits 60 seconds by default', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 1) })
      .on('GET /v1/flows/demo', flowView(0, 1));
    const clock = new VirtualClock();
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: fake.fetch,
      files,
      clock,
    });
    expect(run.exits).toEqual([1]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
    expect(run.stderr).toContain('gave up waiting after 60.0s: 0 of 1 workers run it');
  });

  it('waits through 503 answers (no leader for a moment)', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 1) })
      .on(
        'GET /v1/flows/demo',
        inTurn(apiError(503, 'TREMOR_NO_LEADER', 'no leader'), flowView(1, 1)),
      );
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: fake.fetch,
      files,
    });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(
      'flow demo created\nflow demo: every live worker runs it (1/1, 0.2s)\n',
    );
  });

  it('a timeout with only 503 answers says the deployment is unknown', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 1) })
      .on('GET /v1/flows/demo', apiError(503, 'TREMOR_NO_LEADER', 'no leader'));
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait', '--timeout', '1'], {
      fetch: fake.fetch,
      files,
    });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toContain('the API did not say how far the deployment got');
  });

  it('stops at any other error, e.g. the flow deleted meanwhile', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/demo', { status: 201, ...flowView(0, 1) })
      .on(
        'GET /v1/flows/demo',
        inTurn(
          flowView(0, 1),
          apiError(404, 'TREMOR_FLOW_NOT_FOUND', 'no flow demo', [{ id: 'demo' }]),
        ),
      );
    const run = await tremor(['flow', 'apply', 'demo.json', '--wait'], {
      fetch: fake.fetch,
      files,
      isTTY: true,
    });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toBe('tremor: TREMOR_FLOW_NOT_FOUND: no flow demo\n  - {"id":"demo"}\n');
  });
});
