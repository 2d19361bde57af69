/**
 * The client commands against real servers: two standalone nodes started through the CLI (one
 * with `--api-token`), driven through the program with the real `fetch` and file system, and
 * through the built `tremor` binary itself where its process matters (exit status, no terminal).
 * Needs `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { call, tryCall, until } from '../../../control-plane/test/e2e/api-client';
import { freePort } from '../../../local/src/free-port';
import { CLI, ProcessCluster, type NodeProcess } from '../../../local/src/process-cluster';
import { DEMO_FLOW, tremor as runProgram, type Run } from './harness';

jest.setTimeout(120_000);

const TOKEN = 'e2e-token';
let cluster: ProcessCluster;
let server: NodeProcess;
let guarded: NodeProcess;
let dir: string;

const LOGS_YAML = `# a flow in YAML
id: logs
sources:
  - id: in
    kind: http
distribution: { strategy: hash, key: event.application }
pipeline:
  - where: 'event.level != "debug"'
sinks:
  - id: out
    kind: "null"
`;

const INVALID_YAML = `id: broken
sources: []
pipeline:
  - throttle: { rate: 0 }
sinks:
  - { id: out, kind: "null", confg: {} }
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tremor-cli-'));
  await writeFile(path.join(dir, 'demo.json'), JSON.stringify(DEMO_FLOW));
  await writeFile(path.join(dir, 'logs.yaml'), LOGS_YAML);
  await writeFile(path.join(dir, 'broken.yaml'), INVALID_YAML);
  await writeFile(path.join(dir, 'wait.json'), JSON.stringify({ ...DEMO_FLOW, id: 'waited' }));

  cluster = new ProcessCluster({ clusterName: 'cli', vnodes: 8, logLevel: 'warn' });
  server = await cluster.defineStandalone();
  guarded = await cluster.defineStandalone();
  guarded.extraArgs = ['--api-token', TOKEN];
  cluster.start(server);
  cluster.start(guarded);
  for (const node of [server, guarded]) {
    await until(`${node.name} to be ready`, 30_000, async () => {
      const a = await tryCall(node.api, 'GET', '/health/ready');
      return a.status === 200 ? true : null;
    });
  }
});

afterAll(async () => {
  await cluster?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const file = (name: string): string => path.join(dir, name);

/** `tremor ARGS` through the program, with the real fetch and files, against `server`. */
function tremor(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runProgram(args, {
    env: { TREMOR_API: server.api, ...env },
    readFile: (p) => readFileSync(p, 'utf8'),
  });
}

/** `tremor ARGS` as a process of its own: the built binary, its real exit status. */
function tremorProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, TREMOR_API: server.api, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('tremor cluster status', () => {
  it('shows the cluster, its coordinator, workers, vnodes and flows', async () => {
    const { body } = await call(server.api, 'GET', '/v1/cluster');
    const view = body as { leader: string; workers: Array<{ id: string }> };
    const run = await tremorProcess(['cluster', 'status']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^cluster cli: 8 vnodes, leader ${view.leader}, term \\d+\n`),
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `COORDINATORS\nID +ADDRESS +ROLE +VOTER +REACHABLE\n${view.leader} +${view.leader} +leader +yes +yes\n`,
      ),
    );
    for (const w of view.workers)
      expect(run.stdout).toMatch(new RegExp(`\n${w.id} +alive +\\d+ +http`));
    if (view.workers.length === 0)
      expect(run.stdout).toContain('WORKERS\nnone: the cluster is on stand-by');
    expect(run.stdout).toMatch(/VNODES \(8\)\n {2}0 {2}[a-z.]{8}\n/);
    expect(run.stdout).toContain('\nFLOWS\n');
  });

  it('--json prints { cluster, vnodes, flows }', async () => {
    const run = await tremor(['cluster', 'status', '--json']);
    expect(run.exits).toEqual([0]);
    const status = JSON.parse(run.stdout) as {
      cluster: { name: string; vnodes: number; coordinators: unknown[] };
      vnodes: Array<{ vnode: number }>;
      flows: unknown[];
    };
    expect(status.cluster).toMatchObject({ name: 'cli', vnodes: 8 });
    expect(status.cluster.coordinators).toHaveLength(1);
    expect(status.vnodes.map((v) => v.vnode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.isArray(status.flows)).toBe(true);
    expect(run.stdout).toBe(`${JSON.stringify(status, null, 2)}\n`);
  });
});

describe('tremor flow', () => {
  it('apply creates, then updates, from JSON and from YAML', async () => {
    expect(await tremor(['flow', 'apply', file('demo.json')])).toEqual({
      stdout: 'flow demo created\n',
      stderr: '',
      exits: [0],
    });
    expect((await tremor(['flow', 'apply', file('demo.json')])).stdout).toBe('flow demo updated\n');
    expect(await tremor(['flow', 'apply', file('logs.yaml')])).toEqual({
      stdout: 'flow logs created\n',
      stderr: '',
      exits: [0],
    });
    expect((await tremor(['flow', 'apply', file('logs.yaml')])).stdout).toBe('flow logs updated\n');
    const { body } = await call(server.api, 'GET', '/v1/flows/logs');
    expect((body as { spec: unknown }).spec).toMatchObject({
      id: 'logs',
      distribution: { strategy: 'hash', key: 'event.application' },
      pipeline: [{ where: 'event.level != "debug"' }],
    });
  });

  it('apply of an invalid flow exits 2, naming the file and every problem', async () => {
    const run = await tremorProcess(['flow', 'apply', file('broken.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^tremor: ${file('broken.yaml')}: TREMOR_FLOW_INVALID: sources must not be empty \\(and \\d+ more problems\\)$`,
      ),
    );
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        '  - sources must not be empty',
        '  - pipeline[0].throttle.rate must be > 0',
        '  - sinks[0].confg is not a known field (did you mean config?)',
      ]),
    );
    expect((await tryCall(server.api, 'GET', '/v1/flows/broken')).status).toBe(404);
  });

  it('apply of a missing file exits 2, naming it', async () => {
    const run = await tremorProcess(['flow', 'apply', file('missing.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`^tremor: error: ${file('missing.yaml')}: cannot read the flow file: ENOENT`),
    );
  });

  it('list shows every flow with its status and workers', async () => {
    const run = await tremor(['flow', 'list']);
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toMatch(/^ID +STATUS +WORKERS\n/);
    expect(run.stdout).toMatch(/\ndemo +running +\d+\/\d+\n/);
    expect(run.stdout).toMatch(/\nlogs +running +\d+\/\d+\n/);
    const json = JSON.parse((await tremor(['flow', 'list', '--json'])).stdout) as Array<{
      id: string;
      status: string;
      deployment?: { workersReady: number; workersTotal: number };
    }>;
    const demo = json.find((f) => f.id === 'demo');
    expect(demo?.status).toBe('running');
    expect(typeof demo?.deployment?.workersReady).toBe('number');
    expect(typeof demo?.deployment?.workersTotal).toBe('number');
  });

  it('get prints the flow; --json adds status and deployment', async () => {
    const run = await tremor(['flow', 'get', 'demo']);
    expect(run.exits).toEqual([0]);
    expect(JSON.parse(run.stdout)).toMatchObject(DEMO_FLOW);
    const json = JSON.parse((await tremor(['flow', 'get', 'demo', '--json'])).stdout) as unknown;
    expect(json).toMatchObject({ id: 'demo', status: 'running', spec: DEMO_FLOW });
  });

  it('pause and resume', async () => {
    expect(await tremor(['flow', 'pause', 'demo'])).toEqual({
      stdout: 'flow demo paused\n',
      stderr: '',
      exits: [0],
    });
    expect((await tremor(['flow', 'list'])).stdout).toMatch(/\ndemo +paused +/);
    expect((await call(server.api, 'GET', '/v1/flows/demo')).body).toMatchObject({
      status: 'paused',
    });
    expect(await tremor(['flow', 'resume', 'demo'])).toEqual({
      stdout: 'flow demo resumed\n',
      stderr: '',
      exits: [0],
    });
    expect((await call(server.api, 'GET', '/v1/flows/demo')).body).toMatchObject({
      status: 'running',
    });
  });

  it('delete, then the id is unknown: get, delete, pause and resume exit 1 with the 404 code', async () => {
    expect(await tremor(['flow', 'delete', 'demo'])).toEqual({
      stdout: 'flow demo deleted\n',
      stderr: '',
      exits: [0],
    });
    for (const command of ['get', 'delete', 'pause', 'resume']) {
      const run = await tremor(['flow', command, 'demo']);
      expect(run.exits).toEqual([1]);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe('tremor: TREMOR_FLOW_NOT_FOUND: no flow demo\n  - {"id":"demo"}\n');
    }
    const binary = await tremorProcess(['flow', 'get', 'demo']);
    expect(binary.code).toBe(1);
  });

  it('apply --wait returns once every live worker runs the flow (or says there is none)', async () => {
    const run = await tremorProcess([
      'flow',
      'apply',
      file('wait.json'),
      '--wait',
      '--timeout',
      '30',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flow waited created');
    // Not a terminal: plain lines, no carriage returns.
    expect(run.stdout).not.toContain('\r');
    expect(lines[lines.length - 1]).toMatch(
      /^flow waited: (every live worker runs it \(\d+\/\d+, [\d.]+s\)|the cluster has no live worker; the flow waits on stand-by and starts when a worker joins)$/,
    );
    const { body } = await call(server.api, 'GET', '/v1/flows/waited');
    const { deployment } = body as { deployment: { workersReady: number; workersTotal: number } };
    expect(deployment.workersReady).toBeGreaterThanOrEqual(deployment.workersTotal);
  });
});

describe('an API that cannot be reached', () => {
  it('exits 1 naming the URL and --api', async () => {
    const api = `http://127.0.0.1:${await freePort()}`;
    const run = await tremorProcess(['flow', 'list', '--api', api]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `tremor: cannot reach the API at ${api} (connection refused): is a tremor server running there? Name the API of a node with --api URL (or TREMOR_API).\n`,
    );
    const viaEnv = await tremor(['cluster', 'status'], { TREMOR_API: api });
    expect(viaEnv.exits).toEqual([1]);
    expect(viaEnv.stderr).toContain(`cannot reach the API at ${api} (connection refused)`);
  });
});

describe('--api-token against a server started with --api-token', () => {
  it('is needed, and sent from the flag or TREMOR_API_TOKEN', async () => {
    const api = ['--api', guarded.api];
    const without = await tremor(['flow', 'list', ...api]);
    expect(without.exits).toEqual([1]);
    expect(without.stderr).toMatch(/^tremor: TREMOR_UNAUTHORIZED: /);
    const wrong = await tremor(['flow', 'list', ...api, '--api-token', 'nope']);
    expect(wrong.exits).toEqual([1]);
    expect(wrong.stderr).toMatch(/^tremor: TREMOR_UNAUTHORIZED: /);

    expect(await tremor(['flow', 'list', ...api, '--api-token', TOKEN])).toEqual({
      stdout: 'no flows\n',
      stderr: '',
      exits: [0],
    });
    const fromEnv = await tremorProcess(['flow', 'apply', file('demo.json'), ...api], {
      TREMOR_API_TOKEN: TOKEN,
    });
    expect(fromEnv).toEqual({ code: 0, stdout: 'flow demo created\n', stderr: '' });
    const status = await tremor(['cluster', 'status', ...api, '--api-token', TOKEN]);
    expect(status.exits).toEqual([0]);
    expect(status.stdout).toMatch(/FLOWS\nID +STATUS\ndemo +running\n$/);
  });
});
