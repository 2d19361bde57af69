/**
 * The handshake as pure state machines, without sockets: both sides prove the secret, every
 * refusal has its code, and the MAC input is unambiguous.
 */
import { HandshakeRejectedError, ProtocolError } from '../../src/transport/errors';
import {
  ClientHandshake,
  handshakeMac,
  ServerHandshake,
  type LocalIdentity,
} from '../../src/transport/handshake';

const key = Buffer.from('s3cret');
const server: LocalIdentity = { nodeId: 'c1', role: 'coordinator', clusterName: 'prod', key };
const client: LocalIdentity = { nodeId: 'w1', role: 'worker', clusterName: 'prod', key };

function run(serverId: LocalIdentity, clientId: LocalIdentity) {
  const s = new ServerHandshake(serverId);
  const c = new ClientHandshake(clientId);
  const hello = c.hello(s.challenge);
  const answer = s.answer(hello);
  return { s, c, hello, answer };
}

function rejection(run: () => unknown): HandshakeRejectedError {
  try {
    run();
  } catch (err) {
    if (err instanceof HandshakeRejectedError) return err;
    throw err;
  }
  throw new Error('expected a HandshakeRejectedError');
}

describe('handshake', () => {
  it('authenticates both sides and tells each who the other is', () => {
    const { c, answer } = run(server, client);
    if (!answer.ok) throw answer.error;
    expect(answer.peer).toEqual({ nodeId: 'w1', role: 'worker' });
    expect(c.finish(answer.reply)).toEqual({ nodeId: 'c1', role: 'coordinator' });
  });

  it('uses 32-byte random nonces and never puts the secret in a frame', () => {
    const { s, hello, answer } = run(server, client);
    expect(s.challenge.nonce).toHaveLength(32);
    expect(hello.clientNonce).toHaveLength(32);
    expect(hello.mac).toHaveLength(32);
    expect(JSON.stringify([s.challenge, hello, answer.reply])).not.toContain('s3cret');
  });

  it('computes the MACs as documented, with nonces in opposite orders', () => {
    const s = new ServerHandshake(server, (n) => new Uint8Array(n).fill(1));
    const c = new ClientHandshake(client, (n) => new Uint8Array(n).fill(2));
    const hello = c.hello(s.challenge);
    const one = new Uint8Array(32).fill(1);
    const two = new Uint8Array(32).fill(2);
    expect(hello.mac).toEqual(handshakeMac(key, one, two, 'prod', 'w1'));
    const answer = s.answer(hello);
    if (!answer.ok) throw answer.error;
    expect(answer.reply.mac).toEqual(handshakeMac(key, two, one, 'prod', 'c1'));
  });

  it('length-prefixes the strings so that shifting characters between them changes the MAC', () => {
    const n = new Uint8Array(32);
    expect(handshakeMac(key, n, n, 'ab', 'c')).not.toEqual(handshakeMac(key, n, n, 'a', 'bc'));
  });

  it('refuses a client with another secret: TREMOR_CLUSTER_AUTH_FAILED', () => {
    const { c, answer } = run(server, { ...client, key: Buffer.from('wrong') });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.reply).toMatchObject({ t: 'reject', code: 'TREMOR_CLUSTER_AUTH_FAILED' });
    expect(answer.error.byRemote).toBe(false);
    const onClient = rejection(() => c.finish(answer.reply));
    expect(onClient.code).toBe('TREMOR_CLUSTER_AUTH_FAILED');
    expect(onClient.byRemote).toBe(true);
  });

  it('refuses a client of another cluster: TREMOR_CLUSTER_NAME_MISMATCH naming both names', () => {
    const { c, answer } = run(server, { ...client, clusterName: 'staging' });
    if (answer.ok) throw new Error('accepted');
    expect(answer.reply.code).toBe('TREMOR_CLUSTER_NAME_MISMATCH');
    expect(answer.reply.message).toMatch(/staging.*prod/);
    expect(rejection(() => c.finish(answer.reply)).code).toBe('TREMOR_CLUSTER_NAME_MISMATCH');
  });

  it('refuses a client using the server node id', () => {
    const { answer } = run(server, { ...client, nodeId: 'c1' });
    if (answer.ok) throw new Error('accepted');
    expect(answer.reply.code).toBe('TREMOR_CLUSTER_NODE_ID_CONFLICT');
  });

  it('with no secret on either side, authenticates with an empty key but checks the name', () => {
    const none = new Uint8Array(0);
    const ok = run({ ...server, key: none }, { ...client, key: none });
    expect(ok.answer.ok).toBe(true);
    const bad = run({ ...server, key: none }, { ...client, key: none, clusterName: 'other' });
    expect(bad.answer.ok).toBe(false);
    const half = run(server, { ...client, key: none });
    expect(half.answer.ok ? null : half.answer.reply.code).toBe('TREMOR_CLUSTER_AUTH_FAILED');
  });

  it('the client refuses a server that cannot prove the secret', () => {
    const c = new ClientHandshake(client);
    const s = new ServerHandshake({ ...server, key: Buffer.from('impostor') });
    c.hello(s.challenge);
    const forged = { t: 'welcome', nodeId: 'c1', role: 'coordinator', mac: new Uint8Array(32) };
    const err = rejection(() => c.finish(forged));
    expect(err.code).toBe('TREMOR_CLUSTER_AUTH_FAILED');
    expect(err.byRemote).toBe(false);
  });

  it('a server MAC replayed on another connection does not verify', () => {
    const first = run(server, client);
    if (!first.answer.ok) throw first.answer.error;
    const c = new ClientHandshake(client);
    c.hello(new ServerHandshake(server).challenge);
    expect(rejection(() => c.finish(first.answer.reply)).code).toBe('TREMOR_CLUSTER_AUTH_FAILED');
  });

  it.each<[string, unknown]>([
    ['not a map', 'hello'],
    ['another kind', { t: 'welcome' }],
    ['another version', { t: 'hello', v: 2 }],
    [
      'a short nonce',
      {
        t: 'hello',
        v: 1,
        clusterName: 'prod',
        nodeId: 'w',
        role: 'worker',
        clientNonce: new Uint8Array(8),
        mac: new Uint8Array(32),
      },
    ],
    [
      'an unknown role',
      {
        t: 'hello',
        v: 1,
        clusterName: 'prod',
        nodeId: 'w',
        role: 'boss',
        clientNonce: new Uint8Array(32),
        mac: new Uint8Array(32),
      },
    ],
  ])('treats a malformed hello (%s) as a protocol error', (_name, raw) => {
    expect(() => new ServerHandshake(server).answer(raw)).toThrow(ProtocolError);
  });

  it('treats a rejection with an unknown code as a protocol error', () => {
    const c = new ClientHandshake(client);
    c.hello(new ServerHandshake(server).challenge);
    expect(() => c.finish({ t: 'reject', code: 'WHATEVER', message: '' })).toThrow(ProtocolError);
  });
});
