import { apiError, FakeApi, tremor } from './harness';

const SPEC = { id: 'demo', sources: [{ id: 'in', kind: 'http' }], pipeline: [], sinks: [] };
const view = (id: string, status: string, ready: number, total: number) => ({
  id,
  spec: { ...SPEC, id },
  status,
  revision: 5,
  deployment: { workersReady: ready, workersTotal: total },
});
const notFound = (id: string) => apiError(404, 'TREMOR_FLOW_NOT_FOUND', `no flow ${id}`, [{ id }]);

describe('tremor flow list', () => {
  it('reads the deployment of each flow when the list does not carry it', async () => {
    const fake = new FakeApi()
      .on('GET /v1/flows', {
        body: [
          { id: 'app-logs', status: 'running', revision: 4 },
          { id: 'gone', status: 'running', revision: 6 },
          { id: 'metrics', status: 'paused', revision: 5 },
        ],
      })
      .on('GET /v1/flows/app-logs', { body: view('app-logs', 'running', 2, 3) })
      .on('GET /v1/flows/gone', notFound('gone'))
      .on('GET /v1/flows/metrics', { body: view('metrics', 'paused', 3, 3) });
    const run = await tremor(['flow', 'list'], { fetch: fake.fetch });
    expect(run.stderr).toBe('');
    expect(run.exits).toEqual([0]);
    // A flow deleted between the list and its own read shows no count.
    expect(run.stdout).toBe(
      [
        'ID        STATUS   WORKERS',
        'app-logs  running  2/3',
        'gone      running  -',
        'metrics   paused   3/3',
        '',
      ].join('\n'),
    );
  });

  it('takes the deployment from the list when it is there', async () => {
    const fake = new FakeApi().on('GET /v1/flows', {
      body: [{ id: 'a', status: 'running', deployment: { workersReady: 1, workersTotal: 2 } }],
    });
    const run = await tremor(['flow', 'list'], { fetch: fake.fetch });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe('ID  STATUS   WORKERS\na   running  1/2\n');
    expect(fake.calls()).toEqual(['GET /v1/flows']);
  });

  it('reads at most 8 deployments at once', async () => {
    let inFlight = 0;
    let most = 0;
    const ids = Array.from({ length: 20 }, (_, i) => `f${i}`);
    const fake = new FakeApi().on('GET /v1/flows', {
      body: ids.map((id) => ({ id, status: 'running' })),
    });
    for (const id of ids) {
      fake.on(`GET /v1/flows/${id}`, async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return { body: view(id, 'running', 1, 1) };
      });
    }
    const run = await tremor(['flow', 'list'], { fetch: fake.fetch });
    expect(run.exits).toEqual([0]);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(21);
    expect(most).toBe(8);
  });

  it('says when there are none', async () => {
    const fake = new FakeApi().on('GET /v1/flows', { body: [] });
    const run = await tremor(['flow', 'list'], { fetch: fake.fetch });
    expect(run.stdout).toBe('no flows\n');
    expect(run.exits).toEqual([0]);
  });

  it('--json prints the entries with their deployment', async () => {
    const fake = new FakeApi()
      .on('GET /v1/flows', { body: [{ id: 'a', status: 'paused', revision: 2 }] })
      .on('GET /v1/flows/a', { body: view('a', 'paused', 0, 1) });
    const run = await tremor(['flow', 'list', '--json'], { fetch: fake.fetch });
    expect(run.exits).toEqual([0]);
    expect(JSON.parse(run.stdout)).toEqual([
      { id: 'a', status: 'paused', revision: 2, deployment: { workersReady: 0, workersTotal: 1 } },
    ]);
  });

  it('fails on other errors of the per-flow reads', async () => {
    const fake = new FakeApi()
      .on('GET /v1/flows', { body: [{ id: 'a', status: 'running' }] })
      .on('GET /v1/flows/a', apiError(500, 'TREMOR_INTERNAL', 'boom'));
    const run = await tremor(['flow', 'list'], { fetch: fake.fetch });
    expect(run.exits).toEqual([1]);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('tremor: TREMOR_INTERNAL: boom\n');
  });
});

describe('tremor flow get ID', () => {
  const fake = () =>
    new FakeApi().on('GET /v1/flows/demo', { body: view('demo', 'running', 1, 1) });

  it('prints the flow document, pretty, as flow apply takes it back', async () => {
    const run = await tremor(['flow', 'get', 'demo'], { fetch: fake().fetch });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(`${JSON.stringify(SPEC, null, 2)}\n`);
  });

  it('--json prints the whole answer: status, revision and deployment too', async () => {
    const run = await tremor(['flow', 'get', 'demo', '--json'], { fetch: fake().fetch });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(`${JSON.stringify(view('demo', 'running', 1, 1), null, 2)}\n`);
  });
});

describe.each([
  ['delete', 'DELETE', { status: 204 }, undefined, 'flow demo deleted\n'],
  [
    'pause',
    'PATCH',
    { body: view('demo', 'paused', 1, 1) },
    { status: 'paused' },
    'flow demo paused\n',
  ],
  [
    'resume',
    'PATCH',
    { body: view('demo', 'running', 1, 1) },
    { status: 'running' },
    'flow demo resumed\n',
  ],
])('tremor flow %s ID', (command, method, answer, body, output) => {
  it('sends the change and says it is done', async () => {
    const fake = new FakeApi().on(`${method} /v1/flows/demo`, answer);
    const run = await tremor(['flow', command, 'demo'], { fetch: fake.fetch });
    expect(run.stderr).toBe('');
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toBe(output);
    expect(fake.calls()).toEqual([`${method} /v1/flows/demo`]);
    expect(fake.requests[0]?.body).toEqual(body);
  });

  it('an unknown id is the API 404, exit 1', async () => {
    const fake = new FakeApi().on(`${method} /v1/flows/nope`, notFound('nope'));
    const run = await tremor(['flow', command, 'nope'], { fetch: fake.fetch });
    expect(run.exits).toEqual([1]);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('tremor: TREMOR_FLOW_NOT_FOUND: no flow nope\n  - {"id":"nope"}\n');
  });

  it('needs the id', async () => {
    const run = await tremor(['flow', command], { fetch: new FakeApi().fetch });
    expect(run.exits).toEqual([2]);
    expect(run.stderr).toContain("tremor: error: missing required argument 'ID'");
    expect(run.stderr).toContain(
      `(run 'tremor flow ${command} --help' for its arguments and flags)`,
    );
  });
});

describe('tremor flow get ID of an unknown id', () => {
  it('is the API 404, exit 1', async () => {
    const fake = new FakeApi().on('GET /v1/flows/nope', notFound('nope'));
    const run = await tremor(['flow', 'get', 'nope'], { fetch: fake.fetch });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toBe('tremor: TREMOR_FLOW_NOT_FOUND: no flow nope\n  - {"id":"nope"}\n');
  });
});

describe('the command groups', () => {
  it.each([['flow'], ['cluster']])(
    'tremor %s alone shows its help on stderr, exit 2',
    async (group) => {
      const run = await tremor([group]);
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toContain(`Usage: tremor ${group}`);
    },
  );

  it('tremor flow --help lists every command', async () => {
    const run = await tremor(['flow', '--help']);
    expect(run.exits).toEqual([0]);
    for (const command of ['apply', 'list', 'get', 'delete', 'pause', 'resume']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('an unknown command of a group exits 2', async () => {
    const run = await tremor(['flow', 'show', 'x']);
    expect(run.exits).toEqual([2]);
    expect(run.stderr).toContain("tremor: error: unknown command 'show'");
  });
});
