/**
 * `npm run local` as a user runs it (scripts/local.ts as a child process): it brings up Redis,
 * DynamoDB Local, 3 coordinators and 2 workers, prints the endpoints, takes a flow and events,
 * takes a fault command on stdin, and on SIGINT stops everything it started.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { call, tryCall, until } from '../../control-plane/test/e2e/api-client';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '..', '..');
let launcher: ChildProcessWithoutNullStreams | null = null;
let output = '';

afterAll(() => {
  // Only reached with the launcher still up when a test failed: take its group down.
  if (launcher?.pid !== undefined && launcher.exitCode === null) {
    launcher.kill('SIGINT');
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return until(what, 90_000, () => Promise.resolve(pattern.exec(output))).catch((err: Error) => {
    throw new Error(`${err.message}\n--- launcher output ---\n${output}`, { cause: err });
  });
}

it('runs a working cluster, injects a fault, and leaves nothing running on SIGINT', async () => {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      'scripts/local.ts',
      '--workers',
      '2',
      '--vnodes',
      '8',
      '--log-level',
      'warn',
    ],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  launcher = child;
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  await waitFor(/cluster ready[\s\S]*data & logs/, 'the cluster to be ready');
  const api = (name: string) =>
    new RegExp(`^  ${name}\\s+\\w+\\s+(http://\\S+)$`, 'm').exec(output)?.[1] ?? '';
  const redisUrl = /^ {2}redis\s+(redis:\/\/\S+)$/m.exec(output)?.[1] ?? '';
  const dir = /^ {2}data & logs\s+(\S+)$/m.exec(output)?.[1] ?? '';
  expect(api('c1')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(redisUrl).not.toBe('');

  const redis = new Redis(redisUrl);
  try {
    const flow = {
      id: 'local',
      sources: [{ id: 'in', kind: 'http' }],
      distribution: { strategy: 'hash', key: 'event.k' },
      pipeline: [],
      sinks: [{ id: 'out', kind: 'redis-stream', config: { stream: 'out:local' } }],
    };
    expect((await call(api('c1'), 'PUT', '/v1/flows/local', flow)).status).toBe(201);
    await until('both workers to run the flow', 30_000, async () => {
      const a = await tryCall(api('c1'), 'GET', '/v1/flows/local');
      const d = (a.body as { deployment?: { workersReady: number } }).deployment;
      return d?.workersReady === 2 ? true : null;
    });
    const events = (from: number) =>
      Array.from({ length: 50 }, (_, i) => ({ id: from + i, k: `k${i}` }));
    expect(
      (await call(api('w1'), 'POST', '/v1/flows/local/sources/in/events', events(0))).status,
    ).toBe(202);

    // A fault through the launcher's control interface.
    child.stdin.write('kill w1\n');
    await waitFor(/kill w1: done/, 'the kill to be done');
    await waitFor(/workers 1\/2 alive/, 'the status line to show w1 gone');
    expect(
      (await call(api('w2'), 'POST', '/v1/flows/local/sources/in/events', events(50))).status,
    ).toBe(202);
    await until('100 events in out:local', 30_000, async () => {
      const entries = await redis.xrange('out:local', '-', '+');
      const ids = new Set(
        entries.map(([, f]) => (JSON.parse(f[1] as string) as { id: number }).id),
      );
      return ids.size === 100 ? true : null;
    });

    child.stdin.write('status\n');
    const status = await waitFor(/^c1 .*$(\n^.*$){4}/m, 'the status listing');
    const pids = [...status[0].matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBe(4); // w1 was killed: no pid
    expect(pids.every(alive)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped; nothing left running/);
    expect(pids.filter(alive)).toEqual([]);
    // Redis and DynamoDB Local are gone too: nothing answers on their ports any more.
    await redis.quit().catch(() => {});
    const probe = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
    const dynamo = /^ {2}dynamodb\s+(http:\/\/\S+)$/m.exec(output)?.[1] ?? '';
    await expect(fetch(dynamo, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    expect(dir).not.toBe('');
  } finally {
    redis.disconnect();
  }
});
