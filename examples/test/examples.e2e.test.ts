/**
 * Every flow in examples/ applied as it is written to a standalone server (a real process started
 * through the CLI, in a directory of its own so the flows' relative sink paths land there), fed
 * the sample events beside it, and its outputs checked.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ProcessCluster, type NodeProcess } from '../../local/src/process-cluster';
import { call, tryCall, until } from '../../control-plane/test/e2e/api-client';
import { suiteRedis } from '../../worker/test/helpers';

jest.setTimeout(120_000);

const EXAMPLES = path.resolve(__dirname, '..');
const redis = suiteRedis();
let cluster: ProcessCluster;
let server: NodeProcess;

beforeAll(async () => {
  cluster = new ProcessCluster({ clusterName: 'examples', vnodes: 16 });
  server = await cluster.defineStandalone();
  server.cwd = cluster.directory;
  cluster.start(server);
  await until('the standalone server to be ready', 20_000, async () => {
    const a = await tryCall(server.api, 'GET', '/health/ready');
    return a.status === 200 ? true : null;
  });
});

afterAll(async () => {
  await cluster.stop();
});

/** PUTs the example file as it is (YAML), then waits until the worker runs it. */
async function apply(file: string, replace: Record<string, string> = {}): Promise<string> {
  let text = await readFile(path.join(EXAMPLES, file), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  const id = /^id: (\S+)$/m.exec(text)?.[1] ?? '';
  const res = await fetch(`${server.api}/v1/flows/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/yaml' },
    body: text,
  });
  expect(res.status).toBe(201);
  await until(`the worker to run ${id}`, 20_000, async () => {
    const a = await tryCall(server.api, 'GET', `/v1/flows/${id}`);
    const d = (a.body as { deployment?: { workersReady: number } }).deployment;
    return d?.workersReady === 1 ? true : null;
  });
  return id;
}

async function post(flow: string, events: string, contentType: string): Promise<void> {
  const res = await fetch(`${server.api}/v1/flows/${flow}/sources/in/events`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: events,
  });
  expect(res.status).toBe(202);
}

/** The NDJSON lines of `file` (relative to the server's directory) once there are `count`. */
async function lines(file: string, count: number): Promise<Record<string, unknown>[]> {
  const full = path.join(cluster.directory, file);
  return until(`${count} lines in ${file}`, 30_000, async () => {
    const text = await readFile(full, 'utf8').catch(() => '');
    const parsed = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return parsed.length >= count ? parsed : null;
  });
}

const countBy = (rows: readonly Record<string, unknown>[], field: string) => {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[String(r[field])] = (counts[String(r[field])] ?? 0) + 1;
  return counts;
};

it('log-throttling: drops debug lines and passes at most 3 per application per second', async () => {
  const flow = await apply('log-throttling.yaml');
  const events = await readFile(path.join(EXAMPLES, 'events', 'logs.ndjson'), 'utf8');
  // One request: one ingest_ts, so every event falls in the same one-second window.
  await post(flow, events, 'application/x-ndjson');
  const passed = await lines('out/logs-passed.ndjson', 9);
  const throttled = await lines('out/logs-throttled.ndjson', 9);
  expect(countBy(passed, 'app')).toEqual({ billing: 3, search: 3, checkout: 3 });
  expect(passed.every((e) => e.level !== 'debug')).toBe(true);
  // Overflow carries the events as they were when throttled (before the map).
  expect(countBy(throttled, 'application')).toEqual({ billing: 7, search: 1, checkout: 1 });
  await new Promise((r) => setTimeout(r, 500));
  expect(await lines('out/logs-passed.ndjson', 0)).toHaveLength(9);
});

it('metrics-windowing: one aggregate per host once its 10-second window closes', async () => {
  const flow = await apply('metrics-windowing.yaml');
  const events = await readFile(path.join(EXAMPLES, 'events', 'metrics.ndjson'), 'utf8');
  await post(flow, events, 'application/x-ndjson');
  const windows = await lines('out/cpu-windows.ndjson', 3);
  const byHost: Record<string, Record<string, unknown>> = Object.fromEntries(
    windows.map((w) => [String(w.key), w]),
  );
  expect(byHost['web-1']).toMatchObject({ samples: 3, max: 30.5, min: 12.5 });
  expect(byHost['web-1']?.avg).toBeCloseTo(64 / 3, 9);
  expect(byHost['web-2']).toMatchObject({ samples: 2, avg: 50, max: 60, min: 40 });
  expect(byHost['db-1']).toMatchObject({ samples: 1, avg: 75.25 });
  const w = windows[0] as { window_start: number; window_end: number };
  expect(w.window_end - w.window_start).toBe(10_000);
});

it('fan-out: every event reaches both the file and the Redis stream', async () => {
  // The example's stream sink uses the server's Redis; this one is the suite's.
  const flow = await apply('fan-out.yaml', {
    "config: { stream: 'out:fan-out' }": `config: { stream: 'out:fan-out', url: '${redis.server.url}' }`,
  });
  await post(
    flow,
    JSON.stringify([
      { user: 'ada', action: 'login' },
      { user: 'bob', action: 'logout' },
    ]),
    'application/json',
  );
  const state = (await call(server.api, 'GET', '/v1/cluster')).body as {
    workers: { id: string }[];
  };
  const worker = state.workers[0]?.id ?? '';
  const archived = await lines(`out/fan-out-${worker}.ndjson`, 2);
  expect(archived.map((e) => e.user).sort()).toEqual(['ada', 'bob']);
  const entries = await until('2 entries in out:fan-out', 20_000, async () => {
    const got = await redis.client.xrange('out:fan-out', '-', '+');
    return got.length >= 2 ? got : null;
  });
  const streamed = entries.map(([, f]) => JSON.parse(f[1] as string) as { user: string });
  expect(streamed.map((e) => e.user).sort()).toEqual(['ada', 'bob']);
  expect(streamed.every((e) => (e as { worker?: string }).worker === worker)).toBe(true);
});
