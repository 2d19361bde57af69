/**
 * The cluster port against peers it must not trust: wrong secret, wrong cluster name, garbage,
 * oversized frames, stalled handshakes, protocol violations after authentication. Each is
 * refused or closed and counted while a good peer keeps being served; the secret never crosses
 * the wire.
 */
import net from 'node:net';
import { HandshakeRejectedError } from '../../src/transport/errors';
import { encodeFrame, FrameDecoder } from '../../src/transport/frame-codec';
import { ServerHandshake } from '../../src/transport/handshake';
import type { Message } from '../../src/raft/types';
import {
  addressOf,
  CLUSTER,
  Fixture,
  raftMessage,
  rawAuthenticated,
  rawConnect,
  SECRET,
  waitFor,
} from './helpers';

let fixture: Fixture;
beforeEach(() => {
  fixture = new Fixture();
});
afterEach(() => fixture.closeAll());

/** The secret as raw bytes, and in the text encodings a careless implementation might use. */
const SECRET_FORMS = [
  Buffer.from(SECRET, 'utf8'),
  Buffer.from(SECRET, 'utf16le'),
  Buffer.from(Buffer.from(SECRET).toString('hex')),
  Buffer.from(Buffer.from(SECRET).toString('base64')),
];

function containsSecret(bytes: Buffer): boolean {
  return SECRET_FORMS.some((form) => bytes.includes(form));
}

function expectNoSecret(bytes: Buffer): void {
  expect(bytes.length).toBeGreaterThan(0);
  expect(containsSecret(bytes)).toBe(false);
  // The check itself can see a secret where there is one.
  expect(containsSecret(Buffer.concat([bytes, SECRET_FORMS[3] ?? Buffer.alloc(0)]))).toBe(true);
}

async function rejection(p: Promise<unknown>): Promise<HandshakeRejectedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HandshakeRejectedError) return err;
    throw err;
  }
  throw new Error('expected a HandshakeRejectedError');
}

/** A server with a good peer attached that keeps answering requests throughout. */
async function serverWithGoodPeer() {
  const server = await fixture.listening('server');
  server.onRequest((_from, _method, body) => Promise.resolve(body));
  const raftAtServer: Message[] = [];
  server.onRaft((_from, msg) => raftAtServer.push(msg));
  const good = fixture.transport('good');
  await good.connect(addressOf(server)).whenConnected(2000);
  const stillServing = async (): Promise<void> => {
    expect(await good.request('server', 'ping', 'pong', 2000)).toBe('pong');
    const before = raftAtServer.length;
    expect(good.send('server', raftMessage('good', 'server'))).toBe(true);
    await waitFor('the good peer raft message', () => raftAtServer.length === before + 1);
  };
  return { server, good, stillServing };
}

describe('cluster transport authentication', () => {
  it('a wrong secret cannot connect: typed error on the client, counted on the server', async () => {
    const server = await fixture.listening('server');
    const intruder = fixture.transport('intruder', { secret: 'not-the-secret' });
    const err = await rejection(intruder.connect(addressOf(server)).whenConnected(2000));
    expect(err.code).toBe('TREMOR_CLUSTER_AUTH_FAILED');
    expect(err.byRemote).toBe(true);
    expect(server.counters().authFailures).toBeGreaterThanOrEqual(1);
    expect(server.counters().handshakesCompleted).toBe(0);
    expect(intruder.counters().rejectedByPeer).toBeGreaterThanOrEqual(1);
    expect(server.connectedPeers()).toEqual([]);
    expect(intruder.send('server', raftMessage('intruder', 'server'))).toBe(false);
    expect(server.log.entries.some((e) => e.level === 'error' && /refused/.test(e.msg))).toBe(true);
  });

  it('a wrong cluster name cannot connect: TREMOR_CLUSTER_NAME_MISMATCH', async () => {
    const server = await fixture.listening('server');
    const other = fixture.transport('other', { clusterName: 'another-cluster' });
    const err = await rejection(other.connect(addressOf(server)).whenConnected(2000));
    expect(err.code).toBe('TREMOR_CLUSTER_NAME_MISMATCH');
    expect(err.message).toMatch(/another-cluster/);
    expect(server.counters().nameMismatches).toBeGreaterThanOrEqual(1);
    expect(server.connectedPeers()).toEqual([]);
  });

  it('a node using the server node id is refused', async () => {
    const server = await fixture.listening('server');
    const twin = fixture.transport('server');
    const err = await rejection(twin.connect(addressOf(server)).whenConnected(2000));
    expect(err.code).toBe('TREMOR_CLUSTER_NODE_ID_CONFLICT');
  });

  it('the client refuses a server that cannot prove the secret', async () => {
    // A fake server that accepts any hello and answers with a MAC it cannot compute.
    const fake = fixture.track(
      net.createServer((socket) => {
        const decoder = new FrameDecoder();
        socket.on('error', () => {});
        socket.write(encodeFrame({ t: 'challenge', v: 1, nonce: new Uint8Array(32).fill(3) }));
        socket.on('data', (chunk: Buffer) => {
          decoder.push(chunk);
          if (decoder.read()) {
            socket.write(
              encodeFrame({
                t: 'welcome',
                nodeId: 'fake',
                role: 'coordinator',
                mac: new Uint8Array(32),
              }),
            );
          }
        });
      }),
    );
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as net.AddressInfo).port;
    const client = fixture.transport('client');
    const err = await rejection(client.connect(`127.0.0.1:${port}`).whenConnected(2000));
    expect(err.code).toBe('TREMOR_CLUSTER_AUTH_FAILED');
    expect(err.byRemote).toBe(false);
    expect(client.counters().authFailures).toBeGreaterThanOrEqual(1);
    expect(client.isConnected('fake')).toBe(false);
  });

  it('without a secret, nodes connect and the cluster name is still checked', async () => {
    // The warning about it is the CLI's, once per process (cli/test/server-config.test.ts).
    const server = await fixture.listening('server', { secret: null });
    const peer = fixture.transport('peer', { secret: '' });
    await peer.connect(addressOf(server)).whenConnected(2000);
    const stranger = fixture.transport('stranger', { secret: null, clusterName: 'elsewhere' });
    const err = await rejection(stranger.connect(addressOf(server)).whenConnected(2000));
    expect(err.code).toBe('TREMOR_CLUSTER_NAME_MISMATCH');
    const withSecret = fixture.transport('with-secret');
    expect((await rejection(withSecret.connect(addressOf(server)).whenConnected(2000))).code).toBe(
      'TREMOR_CLUSTER_AUTH_FAILED',
    );
  });

  it('the secret never appears in any byte the client writes (captured by a raw server)', async () => {
    const written: Buffer[] = [];
    const serverSide = new ServerHandshake({
      nodeId: 'raw-server',
      role: 'coordinator',
      clusterName: CLUSTER,
      key: Buffer.from(SECRET),
    });
    let handshakeDone = false;
    const raw = fixture.track(
      net.createServer((socket) => {
        const decoder = new FrameDecoder();
        socket.on('error', () => {});
        socket.write(encodeFrame(serverSide.challenge));
        socket.on('data', (chunk: Buffer) => {
          written.push(chunk);
          decoder.push(chunk);
          for (let f = decoder.read(); f !== null; f = decoder.read()) {
            if (handshakeDone) continue;
            const answer = serverSide.answer(f.value);
            socket.write(encodeFrame(answer.reply));
            handshakeDone = answer.ok;
          }
        });
      }),
    );
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as net.AddressInfo).port;
    const client = fixture.transport('client');
    await client.connect(`127.0.0.1:${port}`).whenConnected(2000);
    expect(client.send('raw-server', raftMessage('client', 'raw-server', { context: 'ctx' }))).toBe(
      true,
    );
    void client.request('raw-server', 'join', { hello: 'there' }, 50).catch(() => {});
    expect(client.push('raw-server', 'topic', new Uint8Array([1, 2, 3]))).toBe(true);
    await waitFor('the messages', () => client.counters().framesOut >= 4);
    await waitFor('the bytes', () => Buffer.concat(written).length >= client.counters().bytesOut);

    const all = Buffer.concat(written);
    expect(all.length).toBe(client.counters().bytesOut);
    expectNoSecret(all);
    expect(JSON.stringify(client.log.entries).includes(SECRET)).toBe(false);
  });

  it('the secret never appears in either direction between two real transports', async () => {
    const server = await fixture.listening('server');
    server.onRequest((_from, _method, body) => Promise.resolve(body));
    const captured: Buffer[] = [];
    // A TCP proxy that records both directions.
    const proxy = fixture.track(
      net.createServer((inbound) => {
        const outbound = fixture.track(net.connect({ host: '127.0.0.1', port: server.port ?? 0 }));
        for (const [from, to] of [
          [inbound, outbound],
          [outbound, inbound],
        ] as const) {
          from.on('data', (chunk: Buffer) => {
            captured.push(chunk);
            to.write(chunk);
          });
          from.on('error', () => to.destroy());
          from.on('close', () => to.destroy());
        }
      }),
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const client = fixture.transport('client');
    const port = (proxy.address() as net.AddressInfo).port;
    await client.connect(`127.0.0.1:${port}`).whenConnected(2000);
    expect(await client.request('server', 'echo', 'hi', 2000)).toBe('hi');
    expectNoSecret(Buffer.concat(captured));
    expect(Buffer.concat(captured).length).toBe(
      client.counters().bytesOut + client.counters().bytesIn,
    );
  });
});

describe('cluster transport against bad input', () => {
  it('garbage bytes are closed and counted while a good peer is served', async () => {
    const { server, stillServing } = await serverWithGoodPeer();
    const garbage = await rawConnect(fixture, server.port ?? 0);
    garbage.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await garbage.closed;
    expect(server.counters().protocolErrors).toBe(1);
    await stillServing();
  });

  it('an oversized length prefix is closed before any payload, during and after the handshake', async () => {
    const { server, stillServing } = await serverWithGoodPeer();
    const stranger = await rawConnect(fixture, server.port ?? 0);
    // Far below 16 MiB but above what a stranger may send before authenticating.
    stranger.socket.write(Buffer.from([0x00, 0x00, 0x20, 0x00]));
    await stranger.closed;
    expect(server.counters().protocolErrors).toBe(1);

    const member = await rawAuthenticated(fixture, server.port ?? 0);
    await waitFor('the member to be known', () => server.isConnected('raw-client'));
    member.socket.write(Buffer.from([0x01, 0x00, 0x00, 0x01])); // 16 MiB + 1
    await member.closed;
    expect(server.counters().protocolErrors).toBe(2);
    expect(server.isConnected('raw-client')).toBe(false);
    await stillServing();
  });

  it('a connection that never completes the handshake is closed at the timeout', async () => {
    const { server, stillServing } = await serverWithGoodPeer();
    const silent = await rawConnect(fixture, server.port ?? 0);
    const started = Date.now();
    await silent.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(server.counters().handshakeTimeouts).toBe(1);
    // The challenge was all it got.
    expect(Buffer.concat(silent.received).length).toBeLessThan(100);
    await stillServing();
  });

  it('a client stalled by a server that never sends the challenge gives up at the timeout', async () => {
    const mute = fixture.track(net.createServer((socket) => socket.on('error', () => {})));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const port = (mute.address() as net.AddressInfo).port;
    const client = fixture.transport('client', { handshakeTimeoutMs: 100 });
    const link = client.connect(`127.0.0.1:${port}`);
    await waitFor('a handshake timeout', () => client.counters().handshakeTimeouts >= 1);
    expect(link.lastError).toMatchObject({ code: 'TREMOR_CLUSTER_HANDSHAKE_TIMEOUT' });
  });

  it.each<[string, unknown]>([
    ['an unknown message kind', { t: 'gossip', body: 1 }],
    [
      'a malformed Raft message',
      { t: 'raft', msg: { type: 'app', from: 'raw-client', term: 'x' } },
    ],
    ['a Raft message in another node name', { t: 'raft', msg: raftMessage('good', 'server') }],
    ['a hello frame', { t: 'hello', v: 1 }],
  ])('%s after the handshake closes that connection only', async (_name, frame) => {
    const { server, stillServing } = await serverWithGoodPeer();
    const member = await rawAuthenticated(fixture, server.port ?? 0);
    member.socket.write(encodeFrame(frame));
    await member.closed;
    expect(server.counters().protocolErrors).toBe(1);
    expect(server.log.entries.some((e) => e.level === 'warn' && /protocol error/.test(e.msg))).toBe(
      true,
    );
    await stillServing();
  });

  it('a worker sending Raft messages is closed', async () => {
    const { server, stillServing } = await serverWithGoodPeer();
    const worker = await rawAuthenticated(fixture, server.port ?? 0, {
      nodeId: 'w1',
      role: 'worker',
    });
    worker.socket.write(encodeFrame({ t: 'raft', msg: raftMessage('w1', 'server') }));
    await worker.closed;
    expect(server.counters().protocolErrors).toBe(1);
    await stillServing();
  });

  it('a Raft message for another node is dropped and counted, the connection kept', async () => {
    const { server, good, stillServing } = await serverWithGoodPeer();
    expect(good.send('server', raftMessage('good', 'someone-else'))).toBe(true);
    await waitFor('the drop', () => server.counters().dropsMisaddressed === 1);
    expect(server.counters().protocolErrors).toBe(0);
    await stillServing();
  });

  it('too many pending handshakes: extra connections are closed at once', async () => {
    const server = await fixture.listening('server', { maxPendingHandshakes: 2 });
    const a = await rawConnect(fixture, server.port ?? 0);
    const b = await rawConnect(fixture, server.port ?? 0);
    const c = await rawConnect(fixture, server.port ?? 0);
    await c.closed;
    expect(a.isClosed() || b.isClosed()).toBe(false);
    expect(server.counters().connectionsRefused).toBe(1);
  });

  it('a handler that throws is logged and counted; the connection stays', async () => {
    const server = await fixture.listening('server');
    server.onRaft(() => {
      throw new Error('bug in the raft host');
    });
    const peer = fixture.transport('peer');
    await peer.connect(addressOf(server)).whenConnected(2000);
    peer.send('server', raftMessage('peer', 'server'));
    await waitFor('the handler error', () => server.counters().handlerErrors === 1);
    expect(server.isConnected('peer')).toBe(true);
  });
});
