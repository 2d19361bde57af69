/**
 * One flow on one worker, end to end: events posted over real HTTP to the ingest route, through
 * the pipeline, into real files, a real Redis and a real HTTP server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { validateFlowSpec } from '../../../control-plane/src/flow-spec';
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import { SILENT_LOGGER } from '../../../control-plane/src/logger';
import { makeApp } from '../../../control-plane/test/api/helpers';
import { FlowRuntime, type FlowRuntimeOptions } from '../../src/runtime/flow-runtime';
import { WorkerFlows } from '../../src/runtime/worker-flows';
import { MemoryTransport } from '../../src/transport/memory/memory-transport';
import { suiteRedis, until } from '../helpers';

jest.setTimeout(60_000);

let dir: string;
const redis = suiteRedis();
let flows: WorkerFlows;
let base: string;
let close: () => Promise<void>;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tremor-flow-'));
  flows = new WorkerFlows();
  const { app } = makeApp({ nodeRoles: ['worker'], ingest: flows });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  close = () => app.close();
});

afterEach(async () => {
  await close();
  await flows.stopAll();
  await rm(dir, { recursive: true, force: true });
});

function spec(flow: Record<string, unknown>): FlowSpec {
  const res = validateFlowSpec(flow);
  if (!res.ok) throw new Error(JSON.stringify(res.problems));
  return res.value;
}

const VNODES = 8;

/** The flow on a worker that owns every vnode, over the in-process transport (standalone). */
async function run(flow: Record<string, unknown>, options: Partial<FlowRuntimeOptions> = {}) {
  const runtime = new FlowRuntime({
    spec: spec(flow),
    vnodes: VNODES,
    transport: new MemoryTransport(),
    worker: 'w1',
    redisUrl: redis.server.url,
    clock: Date.now,
    logger: SILENT_LOGGER,
    tickMs: 20,
    consumer: { retryMs: 20 },
    ...options,
  });
  await flows.run(runtime);
  await runtime.own(new Map(Array.from({ length: VNODES }, (_, v) => [v, 1])));
  return runtime;
}

async function post(url: string, body: string, type = 'application/json') {
  const res = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function lines(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

describe('a flow on one worker', () => {
  it('http source → where, throttle, map → file sinks by port, in order per key', async () => {
    await run({
      id: 'app-logs',
      sources: [{ id: 'in', kind: 'http' }],
      distribution: { strategy: 'hash', key: 'event.app' },
      pipeline: [
        { where: 'event.level != "debug"' },
        { throttle: { key: 'event.app', rate: 3, interval_ms: 3_600_000 } },
        { map: '{"app": event.app, "n": event.n, "vnode": meta.vnode, "worker": meta.worker}' },
      ],
      sinks: [
        { id: 'out', kind: 'file', config: { path: path.join(dir, 'out-{worker}.ndjson') } },
        {
          id: 'dropped',
          from: 'overflow',
          kind: 'file',
          config: { path: path.join(dir, 'dropped.ndjson') },
        },
        { id: 'bad', from: 'err', kind: 'file', config: { path: path.join(dir, 'err.ndjson') } },
      ],
    });
    const url = '/v1/flows/app-logs/sources/in/events';
    expect(await post(url, JSON.stringify({ app: 'a', level: 'info', n: 1 }))).toEqual({
      status: 202,
      body: { accepted: 1 },
    });
    const batch = [2, 3, 4, 5].map((n) => ({ app: 'a', level: n === 3 ? 'debug' : 'info', n }));
    expect((await post(url, JSON.stringify(batch))).body).toEqual({ accepted: 4 });
    const nd = '{"app":"b","level":"info","n":1}\n{"level":"info","n":2}\n';
    expect((await post(url, nd, 'application/x-ndjson')).body).toEqual({ accepted: 2 });

    // 202 means durable in the transport; the vnode consumers write the files soon after.
    await until(async () => (await lines(path.join(dir, 'out-w1.ndjson'))).length === 4, 'out');
    await until(async () => (await lines(path.join(dir, 'err.ndjson'))).length === 1, 'err');
    const out = (await lines(path.join(dir, 'out-w1.ndjson'))) as Record<string, unknown>[];
    // Order holds per key (one vnode each); keys on different vnodes interleave freely.
    const nsOf = (app: string) => out.filter((e) => e.app === app).map((e) => e.n);
    expect([nsOf('a'), nsOf('b')]).toEqual([[1, 2, 4], [1]]);
    expect(out.every((e) => e.worker === 'w1' && typeof e.vnode === 'number')).toBe(true);
    expect(new Set(out.filter((e) => e.app === 'a').map((e) => e.vnode)).size).toBe(1);
    expect(await lines(path.join(dir, 'dropped.ndjson'))).toEqual([
      { app: 'a', level: 'info', n: 5 },
    ]);
    // The event without the key field: accepted, and on port err (its key failed).
    expect(await lines(path.join(dir, 'err.ndjson'))).toEqual([{ level: 'info', n: 2 }]);
  });

  it('refuses events for flows and sources it does not run, and bodies that are not events', async () => {
    await run({
      id: 'gen',
      sources: [
        { id: 'in', kind: 'http' },
        { id: 'tick', kind: 'generator', config: { rate_per_s: 1, event: {} } },
      ],
      pipeline: [],
      sinks: [{ id: 'out', kind: 'null' }],
    });
    const cases: [string, string, number, string][] = [
      ['/v1/flows/nope/sources/in/events', '{}', 404, 'TREMOR_FLOW_NOT_FOUND'],
      ['/v1/flows/gen/sources/nope/events', '{}', 404, 'TREMOR_FLOW_NOT_FOUND'],
      ['/v1/flows/gen/sources/tick/events', '{}', 404, 'TREMOR_FLOW_NOT_FOUND'],
      ['/v1/flows/gen/sources/in/events', '[{}, 1]', 400, 'TREMOR_BAD_REQUEST'],
      ['/v1/flows/gen/sources/in/events', '{"a": ', 400, 'TREMOR_BODY_INVALID'],
    ];
    for (const [url, body, status, code] of cases) {
      const res = await post(url, body);
      expect([url, body, res.status, (res.body.error as { code: string }).code]).toEqual([
        url,
        body,
        status,
        code,
      ]);
    }
  });

  it('generator → file: every worker emits the event with seq from 0, in order', async () => {
    const file = path.join(dir, 'gen.ndjson');
    const runtime = await run({
      id: 'gen',
      sources: [{ id: 'tick', kind: 'generator', config: { rate_per_s: 200, event: { x: 1 } } }],
      pipeline: [{ map: '{"seq": event.seq, "x": event.x}' }],
      sinks: [{ id: 'out', kind: 'file', config: { path: file } }],
    });
    await until(async () => (await lines(file)).length >= 40, 'generated events');
    await flows.stop(runtime.id);
    const seqs = ((await lines(file)) as { seq: number; x: number }[]).map((e) => e.seq);
    // One vnode per event in turn (round-robin): order holds per vnode, every seq arrives once.
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
  });

  it('window: a closed window is emitted on the timer, with no further event', async () => {
    const file = path.join(dir, 'win.ndjson');
    await run({
      id: 'win',
      sources: [{ id: 'in', kind: 'http' }],
      distribution: { strategy: 'hash', key: 'event.host' },
      pipeline: [
        {
          window: {
            key: 'event.host',
            size_ms: 200,
            aggregate: { n: 'count', total: 'sum(event.v)', top: 'max(event.v)' },
          },
        },
      ],
      sinks: [{ id: 'out', kind: 'file', config: { path: file } }],
    });
    const events = [1, 2, 3].map((v) => ({ host: 'h1', v }));
    expect((await post('/v1/flows/win/sources/in/events', JSON.stringify(events))).status).toBe(
      202,
    );
    await until(async () => (await lines(file)).length === 1, 'the window');
    const [w] = (await lines(file)) as Record<string, number>[];
    expect(w).toMatchObject({ key: 'h1', n: 3, total: 6, top: 3 });
    expect((w?.window_end ?? 0) - (w?.window_start ?? 0)).toBe(200);
  });

  it('redis-stream source → redis-stream sink, the sink defaulting to the worker Redis', async () => {
    await redis.client.xadd('ext:in', '*', 'event', JSON.stringify({ app: 'a', n: 1 }));
    await redis.client.xadd('ext:in', '*', 'app', 'b', 'n', '2');
    const runtime = await run(
      {
        id: 'relay',
        sources: [{ id: 'ext', kind: 'redis-stream', config: { stream: 'ext:in' } }],
        distribution: { strategy: 'hash', key: 'event.app' },
        pipeline: [{ map: '{"app": event.app, "n": string(event.n)}' }],
        sinks: [{ id: 'out', kind: 'redis-stream', config: { stream: 'ext:out' } }],
      },
      { redisSource: { blockMs: 50 } },
    );
    await until(async () => (await redis.client.xlen('ext:out')) === 2, 'the relayed events');
    await flows.stop(runtime.id);
    const out = await redis.client.xrange('ext:out', '-', '+');
    expect(out.map(([, f]) => JSON.parse(f[1] as string) as unknown)).toEqual([
      { app: 'a', n: '1' },
      { app: 'b', n: '2' },
    ]);
  });

  it('a failing sink holds its batch and tries it again; the throttle counts it once', async () => {
    let failures = 2;
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failures-- > 0) {
          res.writeHead(400).end('not now');
          return;
        }
        received.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await run({
        id: 'hook',
        sources: [{ id: 'in', kind: 'http' }],
        distribution: { strategy: 'hash', key: 'event.app' },
        pipeline: [{ throttle: { key: 'event.app', rate: 2, interval_ms: 3_600_000 } }],
        sinks: [{ id: 'out', kind: 'http', config: { url: `http://127.0.0.1:${port}/in` } }],
      });
      const body = JSON.stringify([
        { app: 'a', n: 1 },
        { app: 'a', n: 2 },
      ]);
      expect((await post('/v1/flows/hook/sources/in/events', body)).status).toBe(202);
      await until(() => Promise.resolve(received.length === 1), 'the batch to get through');
      expect(received).toEqual(['{"app":"a","n":1}\n{"app":"a","n":2}\n']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
