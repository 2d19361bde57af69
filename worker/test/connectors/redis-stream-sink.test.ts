import Redis from 'ioredis';
import { startRedis, type RedisServer } from '../../../local/src/redis-server';
import { RedisStreamSink } from '../../src/connectors/sinks/redis-stream-sink';

jest.setTimeout(30_000);

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  await client.quit();
  await redis.stop();
});

describe('redis-stream sink (real Redis)', () => {
  it('XADDs each event as field "event" holding its JSON, in order', async () => {
    const sink = new RedisStreamSink('out', 'out:app-logs', redis.url);
    await sink.write([
      { app: 'billing', n: 1 },
      { app: 'search', n: 2 },
    ]);
    await sink.write([]);
    await sink.write([{ app: 'billing', n: 3 }]);
    await sink.close();
    const entries = await client.xrange('out:app-logs', '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['event', '{"app":"billing","n":1}'],
      ['event', '{"app":"search","n":2}'],
      ['event', '{"app":"billing","n":3}'],
    ]);
  });

  it('fails the batch when Redis refuses it (the key holds another type)', async () => {
    await client.set('not-a-stream', 'x');
    const sink = new RedisStreamSink('out', 'not-a-stream', redis.url);
    await expect(sink.write([{ a: 1 }])).rejects.toThrow(/WRONGTYPE/);
    await sink.close();
  });
});
