/**
 * Forwarding to the leader (CONTRACT §3) between two real apps: the leader listens on loopback,
 * the follower's twin throws NotLeaderError naming the leader's URL.
 */
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { ForwardRequest } from '../../src/api';
import { anyNumber, expectError, makeApp, SAMPLE_FLOW_YAML, type TestApp } from './helpers';

const TOKEN = 'forwarding-token';
const auth = { authorization: `Bearer ${TOKEN}` };

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('forwarding to the leader', () => {
  let leader: TestApp;
  let leaderUrl: string;

  beforeAll(async () => {
    leader = makeApp({ apiToken: TOKEN }, { nodeId: 'c1' });
    await leader.app.listen({ host: '127.0.0.1', port: 0 });
    leaderUrl = `http://127.0.0.1:${(leader.app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await leader.app.close();
  });

  beforeEach(() => {
    leader.service.becomeLeader();
  });

  function follower(): TestApp {
    const f = makeApp({ apiToken: TOKEN }, { nodeId: 'c2' });
    f.service.followerOf({ id: 'c1', api: leaderUrl });
    return f;
  }

  it('answers a write as the leader does, naming it in x-tremor-leader', async () => {
    const f = follower();
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/fwd-1',
      headers: auth,
      payload: { via: 'follower' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-tremor-leader']).toBe('c1');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ key: 'fwd-1', value: { via: 'follower' } });
    expect(leader.service.state().kv.get('fwd-1')?.value).toEqual({ via: 'follower' });
    expect(f.service.proposed).toEqual([]);
    expect(f.service.state().kv.has('fwd-1')).toBe(false);
  });

  it('forwards a JSON null body as a body', async () => {
    const f = follower();
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/fwd-null',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: 'null',
    });
    expect(res.statusCode).toBe(200);
    expect(leader.service.state().kv.get('fwd-null')?.value).toBeNull();
  });

  it('forwards a YAML flow as JSON, and passes back status and Location', async () => {
    const f = follower();
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/flows',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: SAMPLE_FLOW_YAML.replace('id: app-logs', 'id: fwd-flow'),
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/v1/flows/fwd-flow');
    expect(res.headers['x-tremor-leader']).toBe('c1');
    expect(res.json()).toMatchObject({ id: 'fwd-flow', status: 'running' });
    expect(leader.service.state().flows.has('fwd-flow')).toBe(true);
    expect(f.service.state().flows.has('fwd-flow')).toBe(false);
  });

  it("passes the leader's error answers back in the error shape", async () => {
    const f = follower();
    await f.app.inject({ method: 'PUT', url: '/v1/kv/fwd-cas', headers: auth, payload: { n: 1 } });
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/kv/fwd-cas/cas',
      headers: auth,
      payload: { expected: 2, value: 3 },
    });
    const body = expectError(res, 'TREMOR_KV_CAS_FAILED');
    expect(body.error.details).toEqual([
      { key: 'fwd-cas', current: { value: { n: 1 }, revision: anyNumber } },
    ]);
    expect(res.headers['x-tremor-leader']).toBe('c1');
  });

  it('passes 204 answers back', async () => {
    const f = follower();
    const res = await f.app.inject({ method: 'DELETE', url: '/v1/kv/fwd-gone', headers: auth });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['x-tremor-leader']).toBe('c1');
  });

  it('forwards linearizable reads and serves stale reads locally', async () => {
    const f = follower();
    const put = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/fwd-read',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '"v"',
    });
    expect(put.statusCode).toBe(200);
    const linear = await f.app.inject({ method: 'GET', url: '/v1/kv/fwd-read', headers: auth });
    expect(linear.statusCode).toBe(200);
    expect(linear.json()).toMatchObject({ value: 'v' });
    expect(linear.headers['x-tremor-leader']).toBe('c1');
    const stale = await f.app.inject({
      method: 'GET',
      url: '/v1/kv/fwd-read?stale=true',
      headers: auth,
    });
    expectError(stale, 'TREMOR_KV_NOT_FOUND');
    expect(stale.headers['x-tremor-leader']).toBeUndefined();
  });

  it("sends the client's token on, and the leader checks it", async () => {
    const wrong = makeApp({ apiToken: null }, { nodeId: 'c3' });
    wrong.service.followerOf({ id: 'c1', api: leaderUrl });
    const res = await wrong.app.inject({
      method: 'PUT',
      url: '/v1/kv/fwd-auth',
      headers: { authorization: 'Bearer not-the-token' },
      payload: { n: 1 },
    });
    expectError(res, 'TREMOR_UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(leader.service.state().kv.has('fwd-auth')).toBe(false);
  });

  it('sends method, path with query, token, JSON body and x-tremor-forwarded', async () => {
    const seen: { leaderApi: string; request: ForwardRequest }[] = [];
    const f = makeApp(
      {
        forward: (leaderApi, request) => {
          seen.push({ leaderApi, request });
          return Promise.resolve({
            status: 201,
            headers: { 'content-type': 'application/json', location: '/v1/x' },
            body: '{"ok":true}',
          });
        },
        forwardTimeoutMs: 1234,
      },
      { nodeId: 'c2' },
    );
    f.service.followerOf({ id: 'c1', api: 'http://leader.example:9898' });
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/kv/k/cas?trace=1',
      headers: { authorization: 'Bearer abc' },
      payload: { expected: null, value: 1 },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ ok: true });
    expect(res.headers.location).toBe('/v1/x');
    expect(res.headers['x-tremor-leader']).toBe('c1');
    expect(seen).toEqual([
      {
        leaderApi: 'http://leader.example:9898',
        request: {
          method: 'POST',
          url: '/v1/kv/k/cas?trace=1',
          headers: {
            authorization: 'Bearer abc',
            'content-type': 'application/json',
            'x-tremor-forwarded': 'c2',
          },
          body: '{"expected":null,"value":1}',
          timeoutMs: 1234,
        },
      },
    ]);
  });

  it('never forwards a forwarded request again: 503 TREMOR_NO_LEADER with Retry-After', async () => {
    let forwarded = 0;
    const f = makeApp(
      {
        forward: () => {
          forwarded += 1;
          return Promise.resolve({ status: 200, headers: {}, body: '' });
        },
      },
      { nodeId: 'c2' },
    );
    f.service.followerOf({ id: 'c1', api: 'http://leader.example:9898' });
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: { 'x-tremor-forwarded': 'c3' },
      payload: { n: 1 },
    });
    expectError(res, 'TREMOR_NO_LEADER');
    expect(res.headers['retry-after']).toBe('1');
    expect(forwarded).toBe(0);
  });

  it('answers 503 when the node it forwarded to is no leader either (mid-election)', async () => {
    const f = follower();
    leader.service.followerOf({ id: 'c9', api: 'http://c9.example:9898' });
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/fwd-x',
      headers: auth,
      payload: { n: 1 },
    });
    expectError(res, 'TREMOR_NO_LEADER');
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['x-tremor-leader']).toBe('c1');
  });

  it('answers 503 TREMOR_NO_LEADER with Retry-After when no leader is known', async () => {
    const f = follower();
    f.service.withoutLeader();
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: auth,
      payload: { n: 1 },
    });
    expectError(res, 'TREMOR_NO_LEADER');
    expect(res.headers['retry-after']).toBe('1');
  });

  it("answers 503 TREMOR_NO_LEADER while the leader's API is not known yet", async () => {
    const f = follower();
    f.service.followerOf({ id: 'c1', api: null });
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: auth,
      payload: { n: 1 },
    });
    const body = expectError(res, 'TREMOR_NO_LEADER');
    expect(body.error.details).toEqual([{ leader: 'c1' }]);
  });

  it('answers 503 TREMOR_LEADER_UNREACHABLE when the leader does not answer', async () => {
    const f = follower();
    f.service.followerOf({ id: 'c1', api: `http://127.0.0.1:${await closedPort()}` });
    const res = await f.app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: auth,
      payload: { n: 1 },
    });
    expectError(res, 'TREMOR_LEADER_UNREACHABLE');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('says the outcome is unknown when the forwarded request timed out', async () => {
    const f = makeApp(
      {
        forward: () =>
          Promise.reject(
            new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
          ),
      },
      { nodeId: 'c2' },
    );
    f.service.followerOf({ id: 'c1', api: 'http://leader.example:9898' });
    const res = await f.app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1 } });
    const body = expectError(res, 'TREMOR_LEADER_UNREACHABLE');
    expect(body.error.message).toContain('unknown');
  });

  it('times out a leader that does not answer, with the default fetch forwarder', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      sockets.push(socket); // accepted, never answered
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const f = makeApp({ forwardTimeoutMs: 200 }, { nodeId: 'c2' });
      const { port } = silent.address() as AddressInfo;
      f.service.followerOf({ id: 'c1', api: `http://127.0.0.1:${port}` });
      const res = await f.app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1 } });
      const body = expectError(res, 'TREMOR_LEADER_UNREACHABLE');
      expect(body.error.message).toContain('200 ms');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("marks the leader's own answers with x-tremor-leader, and not a follower's local ones", async () => {
    const own = await leader.app.inject({ method: 'GET', url: '/v1/status', headers: auth });
    expect(own.headers['x-tremor-leader']).toBe('c1');
    const ownError = await leader.app.inject({ method: 'GET', url: '/v1/kv/none', headers: auth });
    expect(ownError.headers['x-tremor-leader']).toBe('c1');
    const f = follower();
    const local = await f.app.inject({ method: 'GET', url: '/v1/cluster', headers: auth });
    expect(local.statusCode).toBe(200);
    expect(local.headers['x-tremor-leader']).toBeUndefined();
  });
});
