import { RedisTransport } from '../../src/transport/redis/redis-transport';
import { vnodeKeys } from '../../src/transport/redis/redis-keys';
import { suiteRedis } from '../helpers';
import { transportConformance } from './conformance';

jest.setTimeout(30_000);

const redis = suiteRedis();

describe('redis event transport (real Redis)', () => {
  describe('conformance', () => {
    transportConformance({
      make: async ({ backlogBound }) => {
        await redis.client.flushall();
        return new RedisTransport({ url: redis.server.url, backlogBound });
      },
    });
  });

  it('trims the stream below what is acknowledged, never a pending entry', async () => {
    await redis.client.flushall();
    const t = new RedisTransport({ url: redis.server.url });
    try {
      for (let i = 0; i < 10; i++) {
        await t.append('f', [{ vnode: 0, event: { i }, ingest_ts: i }]);
      }
      const lease = await t.acquire('f', 0, 'w1', 1);
      const { entries } = await lease.read(10, 0);
      expect(entries).toHaveLength(10);
      await lease.commit(entries.slice(0, 4), null);
      const key = vnodeKeys('f', 0).events;
      expect(await redis.client.xlen(key)).toBe(6);
      await lease.commit(entries.slice(4), null);
      expect(await redis.client.xlen(key)).toBe(0);
      await t.append('f', [{ vnode: 0, event: { i: 10 }, ingest_ts: 10 }]);
      expect(await redis.client.xlen(key)).toBe(1);
    } finally {
      await t.close();
    }
  });
});
