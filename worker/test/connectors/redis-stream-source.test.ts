import Redis from 'ioredis';
import { SILENT_LOGGER } from '../../../control-plane/src/logger';
import { freePort } from '../../../local/src/free-port';
import { startRedis } from '../../../local/src/redis-server';
import {
  entryEvent,
  groupName,
  RedisStreamSource,
  type RedisStreamSourceOptions,
} from '../../src/connectors/sources/redis-stream-source';
import { buildDistributor } from '../../src/flows/distribution';
import type { IngestRecord } from '../../src/flows/ingest-record';
import { suiteRedis, until } from '../helpers';
import { answerDroppingProxy } from '../tcp-proxy';

jest.setTimeout(60_000);

const redis = suiteRedis();
let streamNo = 0;

function source(
  stream: string,
  worker: string,
  appended: IngestRecord[],
  overrides: Partial<RedisStreamSourceOptions> = {},
): RedisStreamSource {
  return new RedisStreamSource({
    flow: 'f',
    id: 'in',
    worker,
    url: redis.server.url,
    stream,
    distributor: buildDistributor(undefined, 4),
    append: (records) => {
      appended.push(...records);
      return Promise.resolve();
    },
    clock: () => 7_000,
    logger: SILENT_LOGGER,
    blockMs: 100,
    retryMs: 50,
    ...overrides,
  });
}

async function addEvents(stream: string, from: number, n: number): Promise<void> {
  const p = redis.client.pipeline();
  for (let i = from; i < from + n; i++) p.xadd(stream, '*', 'event', JSON.stringify({ i }));
  await p.exec();
}

const ids = (records: readonly IngestRecord[]) =>
  records.map((r) => (r.event as { i: number }).i).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('redis-stream source (real Redis)', () => {
  it('reads the stream from its start, stamps and places each event, acknowledges after', async () => {
    const stream = `in:${++streamNo}`;
    await addEvents(stream, 0, 3);
    await redis.client.xadd(stream, '*', 'level', 'info', 'msg', 'plain fields');
    const appended: IngestRecord[] = [];
    const s = source(stream, 'w1', appended);
    s.start();
    await addEvents(stream, 3, 2);
    await until(() => appended.length === 6, 'six events');
    await s.stop();
    expect(appended.map((r) => r.event)).toEqual([
      { i: 0 },
      { i: 1 },
      { i: 2 },
      { level: 'info', msg: 'plain fields' },
      { i: 3 },
      { i: 4 },
    ]);
    expect(appended.map((r) => r.vnode)).toEqual([0, 1, 2, 3, 0, 1]);
    expect(appended.every((r) => r.ingest_ts === 7_000)).toBe(true);
    const pending = (await redis.client.xpending(stream, groupName('f', 'in'))) as [number];
    expect(pending[0]).toBe(0);
  });

  it('workers share one group: every entry is read by exactly one of them', async () => {
    const stream = `in:${++streamNo}`;
    const a: IngestRecord[] = [];
    const b: IngestRecord[] = [];
    const sa = source(stream, 'w1', a, { batch: 10 });
    const sb = source(stream, 'w2', b, { batch: 10 });
    sa.start();
    sb.start();
    for (let k = 0; k < 20; k++) await addEvents(stream, k * 50, 50);
    await until(() => a.length + b.length >= 1_000, 'all entries');
    await Promise.all([sa.stop(), sb.stop()]);
    expect(ids([...a, ...b])).toEqual(range(1_000));
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
  });

  it('acknowledges nothing while appends fail, and delivers everything once they succeed', async () => {
    const stream = `in:${++streamNo}`;
    await addEvents(stream, 0, 30);
    let failing = true;
    let attempts = 0;
    const appended: IngestRecord[] = [];
    const s = source(stream, 'w1', appended, {
      batch: 7,
      append: (records) => {
        attempts++;
        if (failing) return Promise.reject(new Error('backlog over its bound'));
        appended.push(...records);
        return Promise.resolve();
      },
    });
    s.start();
    await until(() => attempts >= 3, 'failed attempts');
    const pending = (await redis.client.xpending(stream, groupName('f', 'in'))) as [number];
    expect(pending[0]).toBeGreaterThan(0);
    expect(appended).toEqual([]);
    failing = false;
    await until(() => appended.length >= 30, 'delivery after the failures');
    await s.stop();
    expect(ids(appended)).toEqual(range(30));
  });

  it("claims a dead worker's pending entries after claimIdleMs", async () => {
    const stream = `in:${++streamNo}`;
    await addEvents(stream, 0, 20);
    // Consumer w1 of the group reads everything and dies before acknowledging any of it.
    await redis.client.xgroup('CREATE', stream, groupName('f', 'in'), '0');
    await redis.client.xreadgroup(
      'GROUP',
      groupName('f', 'in'),
      'w1',
      'COUNT',
      100,
      'STREAMS',
      stream,
      '>',
    );
    const appended: IngestRecord[] = [];
    const survivor = source(stream, 'w2', appended, { claimIdleMs: 300 });
    survivor.start();
    await until(() => appended.length >= 20, "w2 claiming w1's entries");
    await survivor.stop();
    expect(ids(appended)).toEqual(range(20));
    const pending = (await redis.client.xpending(stream, groupName('f', 'in'))) as [number];
    expect(pending[0]).toBe(0);
  });

  it('a restarted worker reads its own pending entries first', async () => {
    const stream = `in:${++streamNo}`;
    await addEvents(stream, 0, 10);
    let read = 0;
    const first = source(stream, 'w1', [], {
      append: (records) => {
        read += records.length;
        return Promise.reject(new Error('crash before the append was durable'));
      },
      retryMs: 60_000,
    });
    first.start();
    await until(() => read === 10, 'the first run reading');
    await first.stop();
    const appended: IngestRecord[] = [];
    const again = source(stream, 'w1', appended);
    again.start();
    await until(() => appended.length === 10, 'the restart');
    await again.stop();
    expect(ids(appended)).toEqual(range(10));
  });

  it('waits for Redis to come up, and reads again after a restart that lost the group', async () => {
    const port = await freePort();
    const appended: IngestRecord[] = [];
    const s = source('in', 'w1', appended, { url: `redis://127.0.0.1:${port}` });
    s.start();
    await new Promise((r) => setTimeout(r, 300)); // the source retries against nothing
    for (const round of [0, 1]) {
      const own = await startRedis({ port });
      const c = new Redis(own.url);
      await c.xadd('in', '*', 'event', JSON.stringify({ i: round }));
      await until(() => appended.length === round + 1, `the event after start ${round + 1}`);
      await c.quit();
      await own.stop();
    }
    await s.stop();
    expect(ids(appended)).toEqual([0, 1]);
  });
});

describe('entryEvent', () => {
  it('reads the sink format, and any other entry as its fields', () => {
    expect(entryEvent(['event', '{"a":1}'])).toEqual({ a: 1 });
    expect(entryEvent(['event', 'not json'])).toEqual({ event: 'not json' });
    expect(entryEvent(['event', '[1]'])).toEqual({ event: '[1]' });
    expect(entryEvent(['a', '1', 'b', '2'])).toEqual({ a: '1', b: '2' });
    const proto = entryEvent(['__proto__', 'x']) as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });
});

describe('redis-stream source, an answer lost', () => {
  it('delivers the entries of a read whose answer never arrived', async () => {
    const stream = `in:${++streamNo}`;
    const p = await answerDroppingProxy(redis.server.port);
    const appended: IngestRecord[] = [];
    const s = source(stream, 'w1', appended, { url: `redis://127.0.0.1:${p.port}` });
    try {
      s.start();
      await addEvents(stream, 0, 5);
      await until(() => appended.length === 5, 'the first events');
      p.arm(); // the answer of the next read that finds entries is lost
      await addEvents(stream, 5, 5);
      await until(() => appended.length >= 10, 'the events of the lost read');
      expect(ids(appended)).toEqual(range(10));
    } finally {
      await s.stop();
      p.close();
    }
  });
});
