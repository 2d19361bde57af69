/**
 * ClusterTransport over real TCP on 127.0.0.1: Raft messages both ways, requests and pushes,
 * peer events, reconnects, and shutdown.
 */
import type { Message } from '../../src/raft/types';
import type { PeerIdentity } from '../../src/transport/handshake';
import { RemoteRequestError, TransportError } from '../../src/transport/errors';
import { addressOf, Fixture, raftMessage, rawAuthenticated, waitFor } from './helpers';

let fixture: Fixture;
beforeEach(() => {
  fixture = new Fixture();
});
afterEach(() => fixture.closeAll());

function inbox(): {
  readonly got: [PeerIdentity, Message][];
  readonly add: (p: PeerIdentity, m: Message) => void;
} {
  const got: [PeerIdentity, Message][] = [];
  return { got, add: (p, m) => got.push([p, m]) };
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
  }
  throw new Error('expected a rejection');
}

describe('ClusterTransport', () => {
  it('binds port 0 to a real port and exposes it', async () => {
    const a = fixture.transport('a');
    expect(a.port).toBeNull();
    const bound = await a.listen('127.0.0.1', 0);
    expect(bound.port).toBeGreaterThan(0);
    expect(a.port).toBe(bound.port);
  });

  it('exchanges Raft messages with entries and snapshots both ways, bytes as Uint8Array', async () => {
    const a = await fixture.listening('a');
    const b = await fixture.listening('b');
    const atA = inbox();
    const atB = inbox();
    a.onRaft(atA.add);
    b.onRaft(atB.add);
    await a.connect(addressOf(b)).whenConnected(2000);
    await b.connect(addressOf(a)).whenConnected(2000);

    const app = raftMessage('a', 'b', {
      type: 'app',
      index: 4,
      logTerm: 2,
      entries: [
        { index: 5, term: 3, type: 'normal', data: new Uint8Array([1, 2, 3]) },
        { index: 6, term: 3, type: 'conf', data: new Uint8Array(0) },
        { index: 7, term: 3, type: 'normal', data: new Uint8Array(100_000).fill(7) },
      ],
    });
    const snap = raftMessage('b', 'a', {
      type: 'snap',
      snapshot: {
        meta: { index: 9, term: 3, conf: { voters: ['a', 'b'], learners: [] } },
        data: new Uint8Array([42, 43]),
      },
    });
    expect(a.send('b', app)).toBe(true);
    expect(b.send('a', snap)).toBe(true);
    await waitFor('both messages', () => atA.got.length === 1 && atB.got.length === 1);

    expect(atB.got[0]).toEqual([{ nodeId: 'a', role: 'coordinator' }, app]);
    expect(atA.got[0]).toEqual([{ nodeId: 'b', role: 'coordinator' }, snap]);
    const entries = atB.got[0]?.[1].entries ?? [];
    for (const e of entries) expect(Object.getPrototypeOf(e.data)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(atA.got[0]?.[1].snapshot?.data)).toBe(Uint8Array.prototype);

    const counters = a.counters();
    expect(counters.framesOut).toBeGreaterThan(0);
    expect(counters.bytesOut).toBeGreaterThan(100_000);
    expect(b.counters().bytesIn).toBeGreaterThan(100_000);
    expect(counters.protocolErrors).toBe(0);
  });

  it('keeps order on one connection and answers over the inbound one when not dialled back', async () => {
    const a = await fixture.listening('a');
    const b = fixture.transport('b');
    const atA = inbox();
    const atB = inbox();
    a.onRaft(atA.add);
    b.onRaft(atB.add);
    await b.connect(addressOf(a)).whenConnected(2000);
    for (let i = 1; i <= 200; i++) b.send('a', raftMessage('b', 'a', { index: i }));
    await waitFor('200 messages', () => atA.got.length === 200);
    expect(atA.got.map(([, m]) => m.index)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(a.send('b', raftMessage('a', 'b', { type: 'heartbeat-resp' }))).toBe(true);
    await waitFor('the answer', () => atB.got.length === 1);
    expect(a.connectedPeers()).toEqual([{ nodeId: 'b', role: 'coordinator' }]);
  });

  it('drops and counts messages to unconnected peers without throwing', () => {
    const a = fixture.transport('a');
    expect(a.send('nobody', raftMessage('a', 'nobody'))).toBe(false);
    expect(a.push('nobody', 'topic', 1)).toBe(false);
    expect(a.counters().dropsNotConnected).toBe(2);
  });

  it('drops a message larger than the maximum frame instead of sending it', async () => {
    const a = await fixture.listening('a', { maxFrameBytes: 1024 });
    const b = fixture.transport('b', { maxFrameBytes: 1024 });
    await b.connect(addressOf(a)).whenConnected(2000);
    const big = raftMessage('b', 'a', {
      type: 'app',
      entries: [{ index: 1, term: 1, type: 'normal', data: new Uint8Array(2000) }],
    });
    expect(b.send('a', big)).toBe(false);
    expect(b.counters().dropsUnencodable).toBe(1);
    expect(b.isConnected('a')).toBe(true);
    const err = await errorOf(b.request('a', 'm', new Uint8Array(2000), 1000));
    expect((err as TransportError).code).toBe('TREMOR_CLUSTER_MESSAGE_TOO_LARGE');
  });

  it('bounds the write buffer per connection: past it, messages are dropped and counted', async () => {
    const a = await fixture.listening('a');
    const b = fixture.transport('b', { maxWriteBufferBytes: 4096 });
    const atA = inbox();
    a.onRaft(atA.add);
    await b.connect(addressOf(a)).whenConnected(2000);
    const data = new Uint8Array(1000);
    const msg = raftMessage('b', 'a', {
      type: 'app',
      entries: [{ index: 1, term: 1, type: 'normal', data }],
    });
    // Writes of one tick are corked together, so the buffer fills without waiting for a slow peer.
    const sent = Array.from({ length: 20 }, () => b.send('a', msg)).filter(Boolean).length;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(5);
    expect(b.counters().dropsBackpressure).toBe(20 - sent);
    await waitFor('the sent ones', () => atA.got.length === sent);
    // Once flushed, the connection takes messages again.
    expect(b.send('a', msg)).toBe(true);
  });

  describe('requests', () => {
    it('answers a request with the handler result, binary included', async () => {
      const a = await fixture.listening('a');
      const w = fixture.transport('w1', { role: 'worker' });
      a.onRequest((from, method, body) =>
        Promise.resolve({ from: from.nodeId, role: from.role, method, echo: body }),
      );
      await w.connect(addressOf(a)).whenConnected(2000);
      const body = { vnodes: 64, blob: new Uint8Array([5, 6]) };
      const answer = await w.request('a', 'join', body, 2000);
      expect(answer).toEqual({ from: 'w1', role: 'worker', method: 'join', echo: body });
      expect(Object.getPrototypeOf((answer as { echo: { blob: object } }).echo.blob)).toBe(
        Uint8Array.prototype,
      );
    });

    it('handles many concurrent requests on one connection, each with its own answer', async () => {
      const a = await fixture.listening('a');
      const b = fixture.transport('b');
      a.onRequest(async (_from, _method, body) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        return (body as number) * 2;
      });
      await b.connect(addressOf(a)).whenConnected(2000);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => b.request('a', 'double', i, 2000)),
      );
      expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    });

    it('carries the remote error code of a failed handler', async () => {
      const a = await fixture.listening('a');
      const b = fixture.transport('b');
      a.onRequest((_from, method) => {
        if (method === 'coded') {
          return Promise.reject(
            Object.assign(new Error('64 vnodes here, 32 there'), {
              code: 'TREMOR_VNODES_MISMATCH',
            }),
          );
        }
        throw new Error('plain failure');
      });
      await b.connect(addressOf(a)).whenConnected(2000);
      const coded = await errorOf(b.request('a', 'coded', null, 2000));
      expect(coded).toBeInstanceOf(RemoteRequestError);
      expect(coded).toMatchObject({ code: 'TREMOR_VNODES_MISMATCH', method: 'coded' });
      expect(coded.message).toBe('64 vnodes here, 32 there');
      const plain = await errorOf(b.request('a', 'plain', null, 2000));
      expect(plain).toMatchObject({ code: 'TREMOR_CLUSTER_HANDLER_FAILED' });
    });

    it('answers TREMOR_CLUSTER_NO_HANDLER when the node serves no requests', async () => {
      const a = await fixture.listening('a');
      const b = fixture.transport('b');
      await b.connect(addressOf(a)).whenConnected(2000);
      expect(await errorOf(b.request('a', 'x', null, 2000))).toMatchObject({
        code: 'TREMOR_CLUSTER_NO_HANDLER',
      });
    });

    it('times out, ignores the late answer, and counts it', async () => {
      const a = await fixture.listening('a');
      const b = fixture.transport('b');
      let answerLate: (v: unknown) => void = () => {};
      a.onRequest(() => new Promise((resolve) => (answerLate = resolve)));
      await b.connect(addressOf(a)).whenConnected(2000);
      const started = Date.now();
      const err = await errorOf(b.request('a', 'slow', null, 100));
      expect((err as TransportError).code).toBe('TREMOR_CLUSTER_REQUEST_TIMEOUT');
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(b.counters().requestsTimedOut).toBe(1);
      answerLate('too late');
      expect(await b.request('a', 'slow-again', null, 100).catch((e: Error) => e.name)).toBe(
        'TransportError',
      );
      answerLate('too late');
      expect(b.isConnected('a')).toBe(true);
    });

    it('rejects at once when not connected, and when the connection is lost', async () => {
      const a = await fixture.listening('a');
      const b = fixture.transport('b');
      expect(await errorOf(b.request('a', 'x', null, 5000))).toMatchObject({
        code: 'TREMOR_CLUSTER_PEER_UNAVAILABLE',
      });
      let arrived = false;
      a.onRequest(() => {
        arrived = true;
        return new Promise(() => {});
      });
      await b.connect(addressOf(a)).whenConnected(2000);
      const pending = errorOf(b.request('a', 'hang', null, 5000));
      await waitFor('the request to arrive', () => arrived);
      await a.close();
      expect(await pending).toMatchObject({ code: 'TREMOR_CLUSTER_PEER_UNAVAILABLE' });
    });

    it('rejects pending requests with TREMOR_CLUSTER_TRANSPORT_CLOSED on close', async () => {
      const a = await fixture.listening('a');
      const b = fixture.transport('b');
      a.onRequest(() => new Promise(() => {}));
      await b.connect(addressOf(a)).whenConnected(2000);
      const pending = errorOf(b.request('a', 'hang', null, 5000));
      await b.close();
      expect(await pending).toMatchObject({ code: 'TREMOR_CLUSTER_TRANSPORT_CLOSED' });
      expect(await errorOf(b.request('a', 'x', null, 10))).toMatchObject({
        code: 'TREMOR_CLUSTER_TRANSPORT_CLOSED',
      });
      expect(b.state).toBe('closed');
    });
  });

  it('pushes from a coordinator to a worker that does not listen', async () => {
    const c = await fixture.listening('c1');
    const w = fixture.transport('w1', { role: 'worker' });
    const pushes: unknown[] = [];
    w.onPush((from, topic, body) => pushes.push([from.nodeId, topic, body]));
    await w.connect(addressOf(c)).whenConnected(2000);
    await waitFor('the coordinator to see the worker', () => c.isConnected('w1'));
    expect(c.push('w1', 'state', { revision: 12 })).toBe(true);
    await waitFor('the push', () => pushes.length === 1);
    expect(pushes).toEqual([['c1', 'state', { revision: 12 }]]);
  });

  it('reports peers up and down, and a newer connection from a node replaces the older', async () => {
    const a = await fixture.listening('a');
    const events: string[] = [];
    a.onPeer((event, peer) => events.push(`${event}:${peer.nodeId}`));
    const old = await rawAuthenticated(fixture, a.port ?? 0, { nodeId: 'b' });
    await waitFor('up', () => events.length === 1);
    const b = fixture.transport('b');
    await b.connect(addressOf(a)).whenConnected(2000);
    // The restarted b replaces its old (perhaps half dead) connection; b stays up throughout.
    await old.closed;
    expect(events).toEqual(['up:b']);
    await b.close();
    await waitFor('down', () => events.length === 2);
    expect(events).toEqual(['up:b', 'down:b']);
  });

  it('reconnects with backoff after the server restarts on the same port', async () => {
    const a1 = await fixture.listening('a');
    const port = a1.port ?? 0;
    const b = fixture.transport('b');
    const events: string[] = [];
    b.onPeer((event, peer) => events.push(`${event}:${peer.nodeId}`));
    const link = b.connect(`127.0.0.1:${port}`);
    expect(link.state).toBe('connecting');
    await link.whenConnected(2000);
    expect(link.state).toBe('connected');

    await a1.close();
    await waitFor('the link to notice', () => link.state !== 'connected');
    expect(b.send('a', raftMessage('b', 'a'))).toBe(false);
    // Let a few attempts fail against the closed port.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(link.lastError).not.toBeNull();

    const a2 = fixture.transport('a');
    const atA2 = inbox();
    a2.onRaft(atA2.add);
    await a2.listen('127.0.0.1', port);
    expect(await link.whenConnected(3000)).toEqual({ nodeId: 'a', role: 'coordinator' });
    expect(b.send('a', raftMessage('b', 'a', { term: 9 }))).toBe(true);
    await waitFor('the message at the restarted server', () => atA2.got.length === 1);
    expect(atA2.got[0]?.[1].term).toBe(9);
    expect(events).toEqual(['up:a', 'down:a', 'up:a']);
  });

  it('whenConnected times out with the last failure as cause', async () => {
    const a = await fixture.listening('a');
    const port = a.port ?? 0;
    await a.close();
    const b = fixture.transport('b');
    const err = await errorOf(b.connect(`127.0.0.1:${port}`).whenConnected(500));
    expect(err).toMatchObject({ code: 'TREMOR_CLUSTER_PEER_UNAVAILABLE' });
    expect((err.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
  });

  it('disconnect stops redialling; close stops everything and is idempotent', async () => {
    const a = await fixture.listening('a');
    const b = fixture.transport('b');
    const link = b.connect(addressOf(a));
    expect(b.connect(addressOf(a))).toBe(link);
    await link.whenConnected(2000);
    await b.disconnect(addressOf(a));
    expect(link.state).toBe('stopped');
    await waitFor('a to see b go', () => a.connectedPeers().length === 0);
    const closing = a.close();
    expect(a.state).toBe('closing');
    await Promise.all([closing, a.close()]);
    expect(a.state).toBe('closed');
    expect(() => a.connect('127.0.0.1:1')).toThrow(/closed/);
  });
});
