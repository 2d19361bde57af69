import { expectError, makeApp } from './helpers';

describe('health and status routes', () => {
  it('GET /health/live answers 200 while the process runs', async () => {
    const { app, service } = makeApp();
    service.withoutLeader();
    const res = await app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'live' });
  });

  it('GET /health/ready answers 200 when a leader is known', async () => {
    const { app, service } = makeApp();
    service.followerOf({ id: 'c2', api: 'http://c2:9898' });
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('GET /health/ready answers 503 with the error shape and Retry-After without a leader', async () => {
    const { app, service } = makeApp();
    service.withoutLeader();
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expectError(res, 'TREMOR_NOT_READY');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('a standalone node is not ready, and says why, until its worker has joined', async () => {
    let joined = false;
    const { app } = makeApp({
      nodeRoles: ['coordinator', 'worker'],
      notReadyBecause: () => (joined ? null : 'the worker has not joined the cluster yet'),
    });
    const notYet = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(expectError(notYet, 'TREMOR_NOT_READY').error.message).toBe(
      'the worker has not joined the cluster yet',
    );
    const status = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(status.json()).toMatchObject({ leader: 'c1', ready: false });
    joined = true;
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/status' })).json()).toMatchObject({
      ready: true,
    });
  });

  it('GET /v1/version answers the version it was built with', async () => {
    const { app } = makeApp({ version: '9.8.7' });
    const res = await app.inject({ method: 'GET', url: '/v1/version' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ version: '9.8.7' });
  });

  it("GET /v1/status describes this node with the process's roles", async () => {
    const { app, service } = makeApp({ nodeRoles: ['coordinator', 'worker'] });
    const res = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      nodeId: 'c1',
      roles: ['coordinator', 'worker'],
      clusterName: 'tremor',
      leader: 'c1',
      term: 1,
      appliedRevision: service.state().appliedRevision,
      ready: true,
    });
  });

  it('GET /v1/status answers leader null and ready false while no leader is known', async () => {
    const { app, service } = makeApp();
    service.withoutLeader();
    const res = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ leader: null, ready: false, roles: ['coordinator'] });
  });
});
