/**
 * The event transport's contract, run against every implementation (memory and Redis): what a
 * source appends reaches the vnode's owner in order, nothing acknowledged is read again, nothing
 * unacknowledged is lost when the owner changes, and a fenced owner can do nothing.
 */
import { TremorError } from '../../../control-plane/src/errors';
import type { IngestRecord } from '../../src/flows/ingest-record';
import {
  FencedError,
  type DeliveredEntry,
  type EventTransport,
  type VnodeLease,
} from '../../src/transport/event-transport';

export interface TransportFixture {
  /** A fresh transport over fresh storage; the suite closes it. */
  make(options: { backlogBound?: number }): Promise<EventTransport>;
}

const rec = (vnode: number, n: number, extra: Partial<IngestRecord> = {}): IngestRecord => ({
  vnode,
  event: { n },
  ingest_ts: 1_000 + n,
  ...extra,
});

const ns = (entries: readonly DeliveredEntry[]) =>
  entries.flatMap((e) => e.records.map((r) => (r.event as { n: number }).n));

/** Reads until `count` events came (or a read comes back empty). */
async function readEvents(lease: VnodeLease, count: number): Promise<DeliveredEntry[]> {
  const out: DeliveredEntry[] = [];
  while (ns(out).length < count) {
    const { entries } = await lease.read(100, 50);
    if (entries.length === 0) break;
    out.push(...entries);
  }
  return out;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

export function transportConformance(fixture: TransportFixture): void {
  let transport: EventTransport;
  const open = async (options: { backlogBound?: number } = {}) => {
    transport = await fixture.make(options);
    return transport;
  };
  afterEach(async () => {
    await transport.close();
  });

  it("delivers each vnode's records to its owner in append order, as they were appended", async () => {
    const t = await open();
    await t.append('f', [rec(0, 1), rec(1, 2), rec(0, 3, { error: 'distribution key: x' })]);
    await t.append('f', [rec(0, 4)]);
    const lease = await t.acquire('f', 0, 'w1', 1);
    expect(lease.checkpoint).toBeNull();
    const got = await readEvents(lease, 3);
    expect(got.flatMap((e) => e.records)).toEqual([
      rec(0, 1),
      rec(0, 3, { error: 'distribution key: x' }),
      rec(0, 4),
    ]);
    const other = await t.acquire('f', 1, 'w1', 1);
    expect(ns(await readEvents(other, 1))).toEqual([2]);
    expect((await lease.read(10, 0)).entries).toEqual([]);
  });

  it('holds events for a vnode nobody owns, and hands them to its first owner (hinted handoff)', async () => {
    const t = await open();
    for (let i = 0; i < 5; i++) await t.append('f', [rec(3, i)]);
    expect(await t.backlog('f', 3)).toBe(5);
    const lease = await t.acquire('f', 3, 'w2', 7);
    expect(ns(await readEvents(lease, 5))).toEqual([0, 1, 2, 3, 4]);
  });

  it('a read waits for an append and returns it as soon as it comes', async () => {
    const t = await open();
    const lease = await t.acquire('f', 0, 'w1', 1);
    expect((await lease.read(10, 0)).entries).toEqual([]);
    const started = Date.now();
    const reading = lease.read(10, 10_000);
    await new Promise((r) => setTimeout(r, 50));
    await t.append('f', [rec(0, 9)]);
    expect(ns((await reading).entries)).toEqual([9]);
    expect(Date.now() - started).toBeLessThan(8_000); // woken by the append, not the timeout
  });

  it('counts the backlog in events: appended minus acknowledged, a repeat acknowledging nothing', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1), rec(0, 2), rec(0, 3)]);
    await t.append('f', [rec(0, 4)]);
    const lease = await t.acquire('f', 0, 'w1', 1);
    const [first, second] = await readEvents(lease, 4);
    await lease.commit([first as DeliveredEntry], { s: 1 });
    expect(await t.backlog('f', 0)).toBe(1);
    await lease.commit([first as DeliveredEntry], { s: 1 });
    expect(await t.backlog('f', 0)).toBe(1);
    await lease.commit([second as DeliveredEntry], { s: 2 });
    expect(await t.backlog('f', 0)).toBe(0);
    expect(await t.backlog('f', 5)).toBe(0);
  });

  it('refuses a whole append when one target vnode is at its backlog bound', async () => {
    const t = await open({ backlogBound: 3 });
    await t.append('f', [rec(0, 1), rec(0, 2), rec(0, 3)]);
    const err = await rejection(t.append('f', [rec(1, 4), rec(0, 5)]));
    expect(err).toBeInstanceOf(TremorError);
    expect((err as TremorError).code).toBe('TREMOR_BACKPRESSURE');
    expect(await t.backlog('f', 1)).toBe(0);
    expect(await t.backlog('f', 0)).toBe(3);
    const lease = await t.acquire('f', 0, 'w1', 1);
    await lease.commit(await readEvents(lease, 3), null);
    await t.append('f', [rec(1, 4), rec(0, 5)]);
    expect(await t.backlog('f', 1)).toBe(1);
  });

  it('saves the state with the acknowledgement; the next owner starts from it', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1)]);
    const a = await t.acquire('f', 0, 'w1', 1);
    await a.commit(await readEvents(a, 1), { throttle: { a: 1 } });
    const b = await t.acquire('f', 0, 'w2', 2);
    expect(b.checkpoint).toEqual({ state: { throttle: { a: 1 } }, epoch: 1 });
    await b.commit([], { windows: [] });
    const c = await t.acquire('f', 0, 'w3', 3);
    expect(c.checkpoint).toEqual({ state: { windows: [] }, epoch: 2 });
  });

  it('a crashed owner: the next one replays what it read but never acknowledged, then new events', async () => {
    const t = await open();
    for (let i = 1; i <= 3; i++) await t.append('f', [rec(0, i)]);
    const a = await t.acquire('f', 0, 'w1', 1);
    const [e1] = (await a.read(1, 0)).entries;
    await a.commit([e1 as DeliveredEntry], { after: 1 });
    expect(ns((await a.read(10, 0)).entries)).toEqual([2, 3]); // read, then w1 dies
    await t.append('f', [rec(0, 4)]);
    const b = await t.acquire('f', 0, 'w2', 2);
    expect(b.checkpoint).toEqual({ state: { after: 1 }, epoch: 1 });
    const replay = await readEvents(b, 3);
    expect(ns(replay)).toEqual([2, 3, 4]);
    await b.commit(replay, { after: 4 });
    expect(await t.backlog('f', 0)).toBe(0);
  });

  it('a fenced owner can neither read, acknowledge nor checkpoint, and cannot take the vnode back', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1), rec(0, 2)]);
    const a = await t.acquire('f', 0, 'w1', 1);
    const got = await readEvents(a, 2);
    const b = await t.acquire('f', 0, 'w2', 2);
    expect(await rejection(a.commit(got, { stale: true }))).toBeInstanceOf(FencedError);
    expect(await rejection(a.read(10, 0))).toBeInstanceOf(FencedError);
    expect(await rejection(t.acquire('f', 0, 'w1', 1))).toBeInstanceOf(FencedError);
    await t.append('f', [rec(0, 3)]);
    expect(ns(await readEvents(b, 3))).toEqual([1, 2, 3]);
    expect(b.checkpoint).toBeNull();
    expect(await t.backlog('f', 0)).toBe(3);
  });

  it('the same owner taking the vnode again at its epoch (a restart) replays its own reads', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1)]);
    const a = await t.acquire('f', 0, 'w1', 4);
    expect(ns(await readEvents(a, 1))).toEqual([1]);
    a.close();
    const again = await t.acquire('f', 0, 'w1', 4);
    expect(ns(await readEvents(again, 1))).toEqual([1]);
  });

  it('keeps the order of many concurrent appends per vnode, each append together', async () => {
    const t = await open();
    const sources = Array.from({ length: 4 }, (_, s) =>
      (async () => {
        for (let i = 0; i < 25; i++) {
          await t.append('f', [rec(0, s * 1000 + i * 2), rec(0, s * 1000 + i * 2 + 1)]);
        }
      })(),
    );
    await Promise.all(sources);
    const lease = await t.acquire('f', 0, 'w1', 1);
    const entries = await readEvents(lease, 200);
    expect(entries.every((e) => e.records.length === 2)).toBe(true);
    for (let s = 0; s < 4; s++) {
      const mine = ns(entries).filter((n) => Math.floor(n / 1000) === s);
      expect(mine).toEqual(Array.from({ length: 50 }, (_, i) => s * 1000 + i));
    }
  });

  it('a planned move: the next owner waits for the release, and replays nothing', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1), rec(0, 2)]);
    const a = await t.acquire('f', 0, 'w1', 1);
    const got = await readEvents(a, 2);
    let taken = false;
    const taking = t.acquire('f', 0, 'w2', 2, 10_000).then((lease) => {
      taken = true;
      return lease;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(taken).toBe(false);
    await a.commit(got, { last: 2 });
    await a.release();
    const b = await taking;
    expect(b.checkpoint).toEqual({ state: { last: 2 }, epoch: 1 });
    await t.append('f', [rec(0, 3)]);
    expect(ns(await readEvents(b, 1))).toEqual([3]);
  });

  it('a holder that never releases is fenced once the wait is over', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1)]);
    const a = await t.acquire('f', 0, 'w1', 1);
    const got = await readEvents(a, 1);
    const b = await t.acquire('f', 0, 'w2', 2, 100);
    expect(await rejection(a.commit(got, null))).toBeInstanceOf(FencedError);
    await a.release(); // too late: changes nothing
    expect(ns(await readEvents(b, 1))).toEqual([1]);
    const c = await t.acquire('f', 0, 'w3', 3, 100);
    expect(c.epoch).toBe(3);
  });

  it('forgets a dropped flow', async () => {
    const t = await open();
    await t.append('f', [rec(0, 1), rec(1, 2)]);
    await t.dropFlow('f', 2);
    expect(await t.backlog('f', 0)).toBe(0);
    const lease = await t.acquire('f', 0, 'w1', 1);
    expect((await lease.read(10, 0)).entries).toEqual([]);
  });
}
