import { COMMAND_VERSION } from '../../src/cluster-state/commands';
import { anyString, expectError, makeApp } from './helpers';

describe('cluster routes', () => {
  it('GET /v1/cluster shows name, vnodes, leader, coordinators and workers with their vnodes', async () => {
    const { app, service } = makeApp({}, { vnodes: 4 });
    service.joinWorker('w1');
    service.joinWorker('w2');
    service.applyNow({
      v: COMMAND_VERSION,
      kind: 'vnode.assign',
      moves: [
        { vnode: 0, owner: 'w1', expectedEpoch: 0 },
        { vnode: 1, owner: 'w2', expectedEpoch: 0 },
        { vnode: 2, owner: 'w1', expectedEpoch: 0 },
      ],
    });
    const res = await app.inject({ method: 'GET', url: '/v1/cluster' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'tremor',
      vnodes: 4,
      leader: 'c1',
      term: 1,
      coordinators: [
        {
          id: 'c1',
          address: 'c1:8139',
          api: 'http://c1:9898',
          role: 'leader',
          voter: true,
          reachable: true,
        },
      ],
      workers: [
        { id: 'w1', api: 'http://w1:9898', state: 'alive', vnodes: [0, 2] },
        { id: 'w2', api: 'http://w2:9898', state: 'alive', vnodes: [1] },
      ],
    });
  });

  it('GET /v1/cluster answers from local state even without a leader', async () => {
    const { app, service } = makeApp();
    service.withoutLeader();
    const res = await app.inject({ method: 'GET', url: '/v1/cluster' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ leader: null, name: 'tremor' });
  });

  it('GET /v1/cluster/vnodes lists owner, epoch and backlog of every vnode', async () => {
    const { app, service } = makeApp({}, { vnodes: 3 });
    service.joinWorker('w1');
    service.applyNow({
      v: COMMAND_VERSION,
      kind: 'vnode.assign',
      moves: [
        { vnode: 1, owner: 'w1', expectedEpoch: 0 },
        { vnode: 2, owner: 'w1', expectedEpoch: 0 },
      ],
    });
    service.reports.set('w1', { flows: {}, backlog: { '1': 42 } });
    const res = await app.inject({ method: 'GET', url: '/v1/cluster/vnodes' });
    expect(res.statusCode).toBe(200);
    // The owner's reported backlog; null where nobody reports (no owner, or nothing reported).
    expect(res.json()).toEqual([
      { vnode: 0, owner: null, epoch: 0, backlog: null },
      { vnode: 1, owner: 'w1', epoch: 1, backlog: 42 },
      { vnode: 2, owner: 'w1', epoch: 1, backlog: null },
    ]);
  });

  describe('POST /v1/cluster/workers/:id/drain', () => {
    it('marks the worker draining: 202', async () => {
      const { app, service } = makeApp();
      service.joinWorker('w1');
      const res = await app.inject({ method: 'POST', url: '/v1/cluster/workers/w1/drain' });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ id: 'w1', state: 'draining' });
      expect(service.state().workers.get('w1')?.state).toBe('draining');
      const again = await app.inject({ method: 'POST', url: '/v1/cluster/workers/w1/drain' });
      expect(again.statusCode).toBe(202);
    });

    it('answers 404 TREMOR_WORKER_NOT_FOUND for an unknown worker', async () => {
      const { app } = makeApp();
      const res = await app.inject({ method: 'POST', url: '/v1/cluster/workers/ghost/drain' });
      const body = expectError(res, 'TREMOR_WORKER_NOT_FOUND');
      expect(body.error.details).toEqual([{ id: 'ghost' }]);
    });

    it('answers 409 TREMOR_WORKER_INVALID_TRANSITION for a dead worker', async () => {
      const { app, service } = makeApp();
      service.joinWorker('w1');
      service.applyNow({ v: COMMAND_VERSION, kind: 'worker.set-state', id: 'w1', state: 'dead' });
      const res = await app.inject({ method: 'POST', url: '/v1/cluster/workers/w1/drain' });
      expectError(res, 'TREMOR_WORKER_INVALID_TRANSITION');
    });
  });

  describe('POST /v1/cluster/coordinators', () => {
    it('adds a coordinator at a normalized address: 202 { id }', async () => {
      const { app, service } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: { address: 'c2' },
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ id: 'c2:8139' });
      expect(service.state().coordinators.has('c2:8139')).toBe(true);
    });

    it('answers 400 for an address that does not parse', async () => {
      const { app } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: { address: 'c2:99999' },
      });
      const body = expectError(res, 'TREMOR_BAD_REQUEST');
      expect(body.error.details).toEqual([{ path: 'body/address', message: anyString }]);
    });

    it('answers 400 without an address', async () => {
      const { app } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: {},
      });
      expectError(res, 'TREMOR_BAD_REQUEST');
    });

    it('passes the membership refusal on (502 unreachable)', async () => {
      const { app } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: { address: 'unreachable:8139' },
      });
      expectError(res, 'TREMOR_COORDINATOR_UNREACHABLE');
    });
  });

  describe('DELETE /v1/cluster/coordinators/:id', () => {
    it('removes a coordinator: 202', async () => {
      const { app, service } = makeApp();
      await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: { address: 'c2:8139' },
      });
      const res = await app.inject({ method: 'DELETE', url: '/v1/cluster/coordinators/c2:8139' });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ id: 'c2:8139' });
      expect(service.state().coordinators.has('c2:8139')).toBe(false);
    });

    it('answers 404 for an unknown coordinator and 409 for the last one', async () => {
      const { app } = makeApp();
      expectError(
        await app.inject({ method: 'DELETE', url: '/v1/cluster/coordinators/ghost' }),
        'TREMOR_COORDINATOR_NOT_FOUND',
      );
      expectError(
        await app.inject({ method: 'DELETE', url: '/v1/cluster/coordinators/c1' }),
        'TREMOR_LAST_COORDINATOR',
      );
    });
  });

  describe('POST /v1/cluster/leader', () => {
    it('transfers to the named coordinator: 202 { to }', async () => {
      const { app, service } = makeApp();
      await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: { address: 'c2:8139' },
      });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/cluster/leader',
        payload: { to: 'c2:8139' },
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ to: 'c2:8139' });
      expect(service.status().leader).toBe('c2:8139');
    });

    it('picks a target itself without a body, or with an empty one', async () => {
      for (const payload of [undefined, {}]) {
        const { app } = makeApp();
        await app.inject({
          method: 'POST',
          url: '/v1/cluster/coordinators',
          payload: { address: 'c2:8139' },
        });
        const res = await app.inject({
          method: 'POST',
          url: '/v1/cluster/leader',
          ...(payload === undefined ? {} : { payload }),
        });
        expect(res.statusCode).toBe(202);
        expect(res.json()).toEqual({ to: 'c2:8139' });
      }
    });

    it('answers 409 TREMOR_TRANSFER_FAILED when there is nobody to hand over to', async () => {
      const { app } = makeApp();
      const res = await app.inject({ method: 'POST', url: '/v1/cluster/leader', payload: {} });
      expectError(res, 'TREMOR_TRANSFER_FAILED');
    });

    it('answers 400 for unknown fields', async () => {
      const { app } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/cluster/leader',
        payload: { too: 'x' },
      });
      expectError(res, 'TREMOR_BAD_REQUEST');
    });
  });
});
