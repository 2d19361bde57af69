/**
 * The cluster of one (CONTRACT §1) as a real process started through the CLI with no role flag:
 * it runs flows with nothing else installed, a graceful restart keeps flows, kv and the events
 * still waiting, and with `--redis-url` the events go through Redis streams and survive a kill -9.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ProcessCluster, type NodeProcess } from '../../../local/src/process-cluster';
import { call, tryCall, until } from '../../../control-plane/test/e2e/api-client';
import { suiteRedis } from '../helpers';

jest.setTimeout(120_000);

let cluster: ProcessCluster;

beforeEach(() => {
  cluster = new ProcessCluster({ clusterName: 'solo', vnodes: 8 });
});

afterEach(async () => {
  await cluster.stop();
});

function flow(sinkPath: string): unknown {
  return {
    id: 'solo',
    sources: [{ id: 'in', kind: 'http' }],
    distribution: { strategy: 'hash', key: 'event.key' },
    pipeline: [{ map: '{"id": event.id, "vnode": meta.vnode}' }],
    sinks: [{ id: 'out', kind: 'file', config: { path: sinkPath } }],
  };
}

const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ id: from + i, key: `k${(from + i) % 5}` }));

async function withLogs<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await cluster.logTails()}`, { cause: err });
  }
}

async function ready(s: NodeProcess): Promise<void> {
  await withLogs(
    until('the standalone node to be ready', 20_000, async () => {
      const a = await tryCall(s.api, 'GET', '/health/ready');
      return a.status === 200 ? true : null;
    }),
  );
}

/** Waits until the node's own worker runs the flow's current revision (a pause is one). */
async function running(s: NodeProcess): Promise<void> {
  await withLogs(
    until('the worker to run the flow', 20_000, async () => {
      const a = await tryCall(s.api, 'GET', '/v1/flows/solo');
      const d = (a.body as { deployment?: { workersReady: number } }).deployment;
      return d !== undefined && d.workersReady === 1 ? true : null;
    }),
  );
}

async function sinkIds(file: string): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { id: number }).id);
}

async function delivered(file: string, count: number): Promise<number[]> {
  return withLogs(
    until(`${count} events in ${file}`, 20_000, async () => {
      const ids = await sinkIds(file);
      return ids.length >= count ? ids : null;
    }),
  );
}

it('runs a flow with no Redis and nothing else: one worker owning every vnode', async () => {
  const s = await cluster.defineStandalone();
  const sink = path.join(cluster.directory, 'out.ndjson');
  cluster.start(s);
  await ready(s);
  const status = await call(s.api, 'GET', '/v1/status');
  expect((status.body as { roles: string[] }).roles).toEqual(['coordinator', 'worker']);

  expect((await call(s.api, 'PUT', '/v1/flows/solo', flow(sink))).status).toBe(201);
  await running(s);
  const answer = await call(s.api, 'POST', '/v1/flows/solo/sources/in/events', events(0, 200));
  expect(answer).toMatchObject({ status: 202, body: { accepted: 200 } });

  const ids = await delivered(sink, 200);
  expect([...ids].sort((a, b) => a - b)).toEqual(events(0, 200).map((e) => e.id));
  const c = (await call(s.api, 'GET', '/v1/cluster')).body as {
    workers: { state: string; vnodes: number[] }[];
  };
  expect(c.workers).toHaveLength(1);
  expect(c.workers[0]).toMatchObject({ state: 'alive' });
  expect(c.workers[0]?.vnodes).toHaveLength(8);
});

it('keeps flows, kv and the events still waiting across a graceful restart', async () => {
  const s = await cluster.defineStandalone();
  const sink = path.join(cluster.directory, 'out.ndjson');
  cluster.start(s);
  await ready(s);
  expect((await call(s.api, 'PUT', '/v1/flows/solo', flow(sink))).status).toBe(201);
  expect((await call(s.api, 'PUT', '/v1/kv/greeting', { hello: 'world' })).status).toBe(200);
  await running(s);
  expect(
    (await call(s.api, 'POST', '/v1/flows/solo/sources/in/events', events(0, 50))).status,
  ).toBe(202);
  await delivered(sink, 50);
  // Paused: the next events are accepted and wait.
  expect((await call(s.api, 'PATCH', '/v1/flows/solo', { status: 'paused' })).status).toBe(200);
  await running(s);
  // The pause reached the worker without restarting the flow (its sources kept taking events).
  expect((await cluster.log(s)).match(/"msg":"flow running"/g)).toHaveLength(1);
  const held = await call(s.api, 'POST', '/v1/flows/solo/sources/in/events', events(50, 130));
  expect(held.status).toBe(202);

  await cluster.kill(s, 'SIGTERM');
  expect(await s.exit).toBe(0);
  expect(await cluster.log(s)).toMatch(/saved the undelivered events/);

  cluster.start(s);
  await ready(s);
  const got = await call(s.api, 'GET', '/v1/flows/solo');
  expect(got.body).toMatchObject({ id: 'solo', status: 'paused' });
  expect((await call(s.api, 'GET', '/v1/kv/greeting')).body).toMatchObject({
    value: { hello: 'world' },
  });
  expect((await call(s.api, 'PATCH', '/v1/flows/solo', { status: 'running' })).status).toBe(200);

  const ids = await delivered(sink, 130);
  // Give a duplicate time to show up before counting.
  await new Promise((r) => setTimeout(r, 1_000));
  const final = await sinkIds(sink);
  expect([...final].sort((a, b) => a - b)).toEqual(events(0, 130).map((e) => e.id));
  expect(ids.length).toBeLessThanOrEqual(final.length);
  expect(await cluster.log(s)).toMatch(/read back the events saved at the last stop/);
});

describe('with --redis-url', () => {
  const redis = suiteRedis({ appendOnly: true, appendFsync: 'always' });

  it('sends events through Redis streams, where they survive a kill -9', async () => {
    const s = await cluster.defineStandalone();
    s.extraArgs = ['--redis-url', redis.server.url];
    const sink = path.join(cluster.directory, 'out.ndjson');
    cluster.start(s);
    await ready(s);
    expect((await call(s.api, 'PUT', '/v1/flows/solo', flow(sink))).status).toBe(201);
    expect((await call(s.api, 'PATCH', '/v1/flows/solo', { status: 'paused' })).status).toBe(200);
    await running(s);
    expect(
      (await call(s.api, 'POST', '/v1/flows/solo/sources/in/events', events(0, 100))).status,
    ).toBe(202);
    const streams = await redis.client.keys('tremor:{solo/*}:events');
    expect(streams.length).toBeGreaterThan(0);

    await cluster.kill(s, 'SIGKILL');
    cluster.start(s);
    await ready(s);
    expect((await call(s.api, 'PATCH', '/v1/flows/solo', { status: 'running' })).status).toBe(200);
    const ids = await delivered(sink, 100);
    expect(new Set(ids)).toEqual(new Set(events(0, 100).map((e) => e.id)));
  });
});
