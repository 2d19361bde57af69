/**
 * A read Redis runs but whose answer never reaches the owner (the connection drops in between):
 * its entries sit in the owner's pending list, and ioredis sends the read again, which reads past
 * them. The lease must still deliver them. A proxy between the transport and a real Redis drops
 * one answer and cuts the connection.
 */
import { RedisTransport } from '../../src/transport/redis/redis-transport';
import type { DeliveredEntry } from '../../src/transport/event-transport';
import { suiteRedis } from '../helpers';
import { answerDroppingProxy as proxy } from '../tcp-proxy';

jest.setTimeout(30_000);

const redis = suiteRedis();

it('delivers the entries of a read whose answer was lost', async () => {
  await redis.client.flushall();
  const p = await proxy(redis.server.port);
  const t = new RedisTransport({ url: `redis://127.0.0.1:${p.port}` });
  try {
    for (let i = 0; i < 3; i++) await t.append('f', [{ vnode: 0, event: { i }, ingest_ts: i }]);
    const lease = await t.acquire('f', 0, 'w1', 1);
    const first = await lease.read(10, 0);
    await lease.commit(first.entries, null);
    const got: DeliveredEntry[] = [...first.entries];
    await t.append('f', [{ vnode: 0, event: { i: 3 }, ingest_ts: 3 }]);
    p.arm(); // the next answer (this read's) is lost, after Redis ran it
    const deadline = Date.now() + 15_000;
    while (got.flatMap((e) => e.records).length < 4 && Date.now() < deadline) {
      try {
        const { entries } = await lease.read(10, 50);
        got.push(...entries);
        await lease.commit(entries, null);
      } catch {
        // The cut connection: the consumer loop would try again.
      }
    }
    expect(got.flatMap((e) => e.records.map((r) => (r.event as { i: number }).i)).sort()).toEqual([
      0, 1, 2, 3,
    ]);
    expect(await t.backlog('f', 0)).toBe(0);
  } finally {
    await t.close();
    p.close();
  }
});
