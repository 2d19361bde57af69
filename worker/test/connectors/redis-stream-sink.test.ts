import { RedisStreamSink } from '../../src/connectors/sinks/redis-stream-sink';
import { suiteRedis } from '../helpers';

jest.setTimeout(30_000);

const redis = suiteRedis();

describe('redis-stream sink (real Redis)', () => {
  it('XADDs each event as field "event" holding its JSON, in order', async () => {
    const sink = new RedisStreamSink('out', 'out:app-logs', redis.server.url);
    await sink.write([
      { app: 'billing', n: 1 },
      { app: 'search', n: 2 },
    ]);
    await sink.write([]);
    await sink.write([{ app: 'billing', n: 3 }]);
    await sink.close();
    const entries = await redis.client.xrange('out:app-logs', '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['event', '{"app":"billing","n":1}'],
      ['event', '{"app":"search","n":2}'],
      ['event', '{"app":"billing","n":3}'],
    ]);
  });

  it('fails the batch when Redis refuses it (the key holds another type)', async () => {
    await redis.client.set('not-a-stream', 'x');
    const sink = new RedisStreamSink('out', 'not-a-stream', redis.server.url);
    await expect(sink.write([{ a: 1 }])).rejects.toThrow(/WRONGTYPE/);
    await sink.close();
  });
});
