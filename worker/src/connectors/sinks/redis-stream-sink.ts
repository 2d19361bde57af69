/**
 * `redis-stream`: each event XADDed to `config.stream` as field `event` holding its JSON
 * (CONTRACT §4). A batch goes in one pipeline and `write` resolves once Redis has answered every
 * XADD; an error on any of them fails the batch (which is then repeated: at least once).
 */
import Redis from 'ioredis';
import type { Json } from '../../flows/expressions/cel-values';
import type { Sink } from './sink';

export class RedisStreamSink implements Sink {
  private readonly redis: Redis;

  constructor(
    readonly id: string,
    private readonly stream: string,
    url: string,
  ) {
    // Commands wait for a reconnect instead of failing at once; a batch fails only on a real error.
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.redis.on('error', () => {}); // A failed write fails its batch, which is tried again.
  }

  async write(events: readonly Json[]): Promise<void> {
    if (events.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const e of events) pipeline.xadd(this.stream, '*', 'event', JSON.stringify(e));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed) throw failed[0] as Error;
    if (results.length !== events.length) throw new Error('Redis answered fewer XADDs than sent');
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
