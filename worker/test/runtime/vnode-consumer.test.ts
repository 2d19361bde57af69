/**
 * Vnode moves, over both transports: a planned move (stop, then a new owner at the next epoch)
 * loses nothing and repeats nothing, and the operator state moves with the vnode; a crash move
 * (the old owner never stops) replays from the checkpoint, and the old owner is fenced out.
 */
import { validateFlowSpec } from '../../../control-plane/src/flow-spec';
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import { SILENT_LOGGER } from '../../../control-plane/src/logger';
import type { Sink } from '../../src/connectors/sinks/sink';
import type { Json } from '../../src/flows/expressions/cel-values';
import type { IngestRecord } from '../../src/flows/ingest-record';
import { VnodeConsumer } from '../../src/runtime/vnode-consumer';
import type { EventTransport } from '../../src/transport/event-transport';
import { MemoryTransport } from '../../src/transport/memory/memory-transport';
import { RedisTransport } from '../../src/transport/redis/redis-transport';
import { suiteRedis, until } from '../helpers';

jest.setTimeout(60_000);

const redis = suiteRedis();

/** Keeps what it is given; the consumer under test only needs a sink that answers. */
class ListSink implements Sink {
  readonly events: Json[] = [];
  constructor(readonly id: string) {}
  write(events: readonly Json[]): Promise<void> {
    this.events.push(...events);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function flow(
  pipeline: unknown[] = [{ throttle: { key: 'event.k', rate: 30, interval_ms: 3_600_000 } }],
): FlowSpec {
  const res = validateFlowSpec({
    id: 'f',
    sources: [{ id: 'in', kind: 'http' }],
    distribution: { strategy: 'hash', key: 'event.k' },
    pipeline,
    sinks: [
      { id: 'out', kind: 'null' },
      { id: 'over', from: 'overflow', kind: 'null' },
    ],
  });
  if (!res.ok) throw new Error(JSON.stringify(res.problems));
  return res.value;
}

const records = (from: number, n: number): IngestRecord[] =>
  Array.from({ length: n }, (_, i) => ({ vnode: 0, event: { k: 'a', i: from + i }, ingest_ts: 1 }));

describe.each([
  ['memory', () => Promise.resolve(new MemoryTransport())],
  [
    'redis',
    async () => {
      await redis.client.flushall();
      return new RedisTransport({ url: redis.server.url });
    },
  ],
] as [string, () => Promise<EventTransport>][])(
  'vnode moves over the %s transport',
  (_name, make) => {
    let transport: EventTransport;
    let out: ListSink;
    let over: ListSink;
    const consumer = (worker: string, epoch: number, spec = flow()) =>
      new VnodeConsumer({
        transport,
        flow: spec,
        vnode: 0,
        epoch,
        worker,
        sinks: new Map<string, Sink>([
          ['out', out],
          ['over', over],
        ]),
        clock: Date.now,
        logger: SILENT_LOGGER,
        batch: 3,
        tickMs: 20,
        retryMs: 10,
      });
    const ids = (sink: ListSink) => sink.events.map((e) => (e as { i: number }).i);

    beforeEach(async () => {
      transport = await make();
      out = new ListSink('out');
      over = new ListSink('over');
    });
    afterEach(async () => {
      await transport.close();
    });

    it('a planned move: nothing lost, nothing repeated, the throttle state moves along', async () => {
      for (let i = 0; i < 10; i++) await transport.append('f', records(i * 5, 5));
      const a = consumer('w1', 1);
      a.start();
      await until(() => out.events.length >= 20, 'w1 working');
      await a.stop();
      expect(a.state).toBe('stopped');
      const b = consumer('w2', 2);
      b.start();
      await until(async () => (await transport.backlog('f', 0)) === 0, 'w2 draining the rest');
      await b.stop();
      // 50 events of one key, rate 30: the first 30 pass, the other 20 overflow, each exactly once.
      expect(ids(out)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(ids(over)).toEqual(Array.from({ length: 20 }, (_, i) => 30 + i));
    });

    it('a flow replaced with other operators starts them empty instead of stopping the vnode', async () => {
      for (let i = 0; i < 4; i++) await transport.append('f', records(i * 5, 5));
      const a = consumer('w1', 1);
      a.start();
      await until(async () => (await transport.backlog('f', 0)) === 0, 'w1 checkpointing');
      await a.stop();
      // The same flow id, now a where and a throttle of rate 2: the saved one-operator state
      // does not fit. The vnode goes on with empty state (2 pass), it does not stop.
      const replaced = flow([
        { where: 'event.i >= 0' },
        { throttle: { key: 'event.k', rate: 2, interval_ms: 3_600_000 } },
      ]);
      const b = consumer('w1', 2, replaced);
      b.start();
      await transport.append('f', records(100, 5));
      await until(
        async () => (await transport.backlog('f', 0)) === 0,
        'the replaced flow consuming',
      );
      expect(b.state).toBe('running');
      await b.stop();
      expect(ids(out).slice(20)).toEqual([100, 101]);
      expect(ids(over)).toEqual([102, 103, 104]);
    });

    it('a crash move: the new owner replays from the checkpoint, the old one is fenced', async () => {
      for (let i = 0; i < 10; i++) await transport.append('f', records(i * 5, 5));
      const a = consumer('w1', 1);
      a.start();
      await until(() => out.events.length >= 10, 'w1 working');
      // w1 is cut off, never stopped; w2 takes the vnode at the next epoch.
      const b = consumer('w2', 2);
      b.start();
      await until(async () => (await transport.backlog('f', 0)) === 0, 'w2 draining');
      await until(() => a.state === 'fenced', 'w1 fenced');
      await transport.append('f', records(50, 5));
      await until(async () => (await transport.backlog('f', 0)) === 0, 'w2 taking new events');
      await b.stop();
      // Every event reached a sink at least once; the throttle never let more than 30 distinct
      // events through (a replayed batch may repeat some, counted once by id).
      const all = new Set([...ids(out), ...ids(over)]);
      expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: 55 }, (_, i) => i));
      expect(new Set(ids(out)).size).toBeLessThanOrEqual(30);
    });
  },
);
