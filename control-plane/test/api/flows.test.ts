import {
  anyNumber,
  anyString,
  expectError,
  makeApp,
  sampleFlow,
  SAMPLE_FLOW_YAML,
} from './helpers';

interface FlowView {
  id: string;
  spec: Record<string, unknown>;
  status: string;
  revision: number;
  deployment: { workersReady: number; workersTotal: number };
}

interface Problem {
  path: string;
  message: string;
}

describe('flow routes', () => {
  describe('POST /v1/flows', () => {
    it('counts as ready the alive workers whose heartbeat reports the current revision', async () => {
      const { app, service } = makeApp();
      service.joinWorker('w1');
      service.joinWorker('w2');
      const created = await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      const revision = created.json<FlowView & { revision: number }>().revision;
      service.reports.set('w1', { flows: { 'app-logs': revision }, backlog: {} });
      service.reports.set('w2', { flows: { 'app-logs': revision - 1 }, backlog: {} });
      const res = await app.inject({ method: 'GET', url: '/v1/flows/app-logs' });
      expect(res.json<FlowView>().deployment).toEqual({ workersReady: 1, workersTotal: 2 });
    });

    it('creates a flow from JSON: 201 with the flow, its status and deployment', async () => {
      const { app, service } = makeApp();
      service.joinWorker('w1');
      service.joinWorker('w2');
      const res = await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toBe('/v1/flows/app-logs');
      const flow = res.json<FlowView>();
      expect(flow).toEqual({
        id: 'app-logs',
        spec: expect.objectContaining({
          id: 'app-logs',
          sources: [{ id: 'in', kind: 'http' }],
        }) as unknown,
        status: 'running',
        revision: anyNumber,
        deployment: { workersReady: 0, workersTotal: 2 },
      });
      expect(service.state().flows.get('app-logs')?.spec).toEqual(flow.spec);
    });

    it('fills in the defaults the validator gives', async () => {
      const { app } = makeApp();
      const spec = sampleFlow();
      delete spec.distribution;
      const res = await app.inject({ method: 'POST', url: '/v1/flows', payload: spec });
      expect(res.statusCode).toBe(201);
      expect(res.json<FlowView>().spec).toMatchObject({
        distribution: { strategy: 'round-robin' },
        sinks: [{ id: 'out', kind: 'stdout', from: 'out' }],
      });
    });

    it.each(['application/yaml', 'text/yaml', 'application/yaml; charset=utf-8'])(
      'creates a flow from YAML sent as %s',
      async (type) => {
        const { app, service } = makeApp();
        const res = await app.inject({
          method: 'POST',
          url: '/v1/flows',
          headers: { 'content-type': type },
          payload: SAMPLE_FLOW_YAML,
        });
        expect(res.statusCode).toBe(201);
        expect(service.state().flows.get('app-logs')?.spec).toMatchObject({
          pipeline: [
            { where: 'event.level != "debug"' },
            { throttle: { key: 'event.application', rate: 100, interval_ms: 1000 } },
          ],
        });
      },
    );

    it('answers 409 TREMOR_FLOW_EXISTS when the id exists', async () => {
      const { app } = makeApp();
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      const res = await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      const body = expectError(res, 'TREMOR_FLOW_EXISTS');
      expect(body.error.details).toEqual([{ id: 'app-logs' }]);
    });

    it('answers 400 TREMOR_FLOW_INVALID with every problem listed', async () => {
      const { app, service } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/flows',
        payload: {
          id: 'bad id!',
          sources: [{ id: 'in', kind: 'http' }],
          pipeline: [
            { throttle: { key: 'event.app', rate: 0, interval_ms: 1000 } },
            { where: '(' },
          ],
          sinks: [{ id: 'out', kind: 'stdout' }],
          surprise: true,
        },
      });
      const body = expectError(res, 'TREMOR_FLOW_INVALID');
      const problems = body.error.details as Problem[];
      const paths = problems.map((p) => p.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'id',
          'pipeline[0].throttle.rate',
          'pipeline[1].where',
          'surprise',
        ]),
      );
      for (const problem of problems) {
        expect(problem).toEqual({ path: anyString, message: anyString });
      }
      expect(body.error.message).toContain(problems[0]?.message);
      expect(body.error.message).toContain(`and ${problems.length - 1} more`);
      expect(service.proposed).toEqual([]);
    });

    it('names the one problem in the message when there is one', async () => {
      const { app } = makeApp();
      const spec = sampleFlow();
      spec.pipeline = [{ throttle: { key: 'event.app', rate: 0, interval_ms: 1000 } }];
      const body = expectError(
        await app.inject({ method: 'POST', url: '/v1/flows', payload: spec }),
        'TREMOR_FLOW_INVALID',
      );
      expect(body.error.details).toEqual([
        { path: 'pipeline[0].throttle.rate', message: 'pipeline[0].throttle.rate must be > 0' },
      ]);
      expect(body.error.message).toBe('pipeline[0].throttle.rate must be > 0');
    });

    it('answers a body that is not an object with TREMOR_FLOW_INVALID', async () => {
      const { app } = makeApp();
      for (const payload of ['[]', '"flow"', 'null']) {
        expectError(
          await app.inject({
            method: 'POST',
            url: '/v1/flows',
            headers: { 'content-type': 'application/json' },
            payload,
          }),
          'TREMOR_FLOW_INVALID',
        );
      }
    });

    it('answers YAML or JSON that does not parse with TREMOR_BODY_INVALID saying where', async () => {
      const { app } = makeApp();
      const yaml = expectError(
        await app.inject({
          method: 'POST',
          url: '/v1/flows',
          headers: { 'content-type': 'application/yaml' },
          payload: 'id: x\nsources: [\n',
        }),
        'TREMOR_BODY_INVALID',
      );
      expect(yaml.error.message).toMatch(/line \d+, column \d+/);
      expect(yaml.error.details.length).toBeGreaterThan(0);
      const json = expectError(
        await app.inject({
          method: 'POST',
          url: '/v1/flows',
          headers: { 'content-type': 'application/json' },
          payload: '{"id": "x",\n "sources": }',
        }),
        'TREMOR_BODY_INVALID',
      );
      expect(json.error.message).toMatch(/line 2, column 13/);
    });

    it('answers a document over the flow size bound with 413', async () => {
      const { app } = makeApp();
      const spec = sampleFlow();
      spec.pipeline = [{ where: `event.x == "${'x'.repeat(1024 * 1024)}"` }];
      expectError(
        await app.inject({ method: 'POST', url: '/v1/flows', payload: spec }),
        'TREMOR_PAYLOAD_TOO_LARGE',
      );
    });

    it('answers an empty body with TREMOR_BODY_INVALID', async () => {
      const { app } = makeApp();
      expectError(
        await app.inject({
          method: 'POST',
          url: '/v1/flows',
          headers: { 'content-type': 'application/json' },
          payload: '',
        }),
        'TREMOR_BODY_INVALID',
      );
    });
  });

  describe('PUT /v1/flows/:id', () => {
    it('creates (201) then replaces (200), keeping a paused flow paused', async () => {
      const { app } = makeApp();
      const created = await app.inject({
        method: 'PUT',
        url: '/v1/flows/app-logs',
        payload: sampleFlow(),
      });
      expect(created.statusCode).toBe(201);
      await app.inject({
        method: 'PATCH',
        url: '/v1/flows/app-logs',
        payload: { status: 'paused' },
      });
      const spec = sampleFlow();
      spec.pipeline = [];
      const replaced = await app.inject({
        method: 'PUT',
        url: '/v1/flows/app-logs',
        payload: spec,
      });
      expect(replaced.statusCode).toBe(200);
      expect(replaced.json<FlowView>()).toMatchObject({ status: 'paused', spec: { pipeline: [] } });
    });

    it('takes the id from the path when the body has none', async () => {
      const { app, service } = makeApp();
      const spec = sampleFlow();
      delete spec.id;
      const res = await app.inject({ method: 'PUT', url: '/v1/flows/from-path', payload: spec });
      expect(res.statusCode).toBe(201);
      expect(service.state().flows.get('from-path')?.spec.id).toBe('from-path');
    });

    it('answers an id that differs from the path with TREMOR_FLOW_INVALID at `id`', async () => {
      const { app, service } = makeApp();
      const res = await app.inject({
        method: 'PUT',
        url: '/v1/flows/other',
        payload: sampleFlow('app-logs'),
      });
      const body = expectError(res, 'TREMOR_FLOW_INVALID');
      expect(body.error.details).toEqual([
        { path: 'id', message: expect.stringMatching(/^id /) as unknown },
      ]);
      expect(service.proposed).toEqual([]);
    });

    it('takes YAML too', async () => {
      const { app } = makeApp();
      const res = await app.inject({
        method: 'PUT',
        url: '/v1/flows/app-logs',
        headers: { 'content-type': 'text/yaml' },
        payload: SAMPLE_FLOW_YAML,
      });
      expect(res.statusCode).toBe(201);
    });
  });

  describe('GET', () => {
    it('lists flows by id with their status', async () => {
      const { app } = makeApp();
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow('b-flow') });
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow('a-flow') });
      const res = await app.inject({ method: 'GET', url: '/v1/flows' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([
        { id: 'a-flow', status: 'running', revision: anyNumber },
        { id: 'b-flow', status: 'running', revision: anyNumber },
      ]);
    });

    it('answers one flow with its deployment, counting alive workers', async () => {
      const { app, service } = makeApp();
      service.joinWorker('w1');
      service.joinWorker('w2');
      service.applyNow({ v: 1, kind: 'worker.set-state', id: 'w2', state: 'dead' });
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      const res = await app.inject({ method: 'GET', url: '/v1/flows/app-logs' });
      expect(res.statusCode).toBe(200);
      expect(res.json<FlowView>()).toMatchObject({
        id: 'app-logs',
        status: 'running',
        deployment: { workersReady: 0, workersTotal: 1 },
      });
    });

    it('answers 404 TREMOR_FLOW_NOT_FOUND for an unknown flow', async () => {
      const { app } = makeApp();
      const body = expectError(
        await app.inject({ method: 'GET', url: '/v1/flows/ghost' }),
        'TREMOR_FLOW_NOT_FOUND',
      );
      expect(body.error.details).toEqual([{ id: 'ghost' }]);
    });

    it('reads linearizably unless ?stale=true', async () => {
      const { app, service } = makeApp();
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      service.withoutLeader();
      expectError(await app.inject({ method: 'GET', url: '/v1/flows' }), 'TREMOR_NO_LEADER');
      expectError(
        await app.inject({ method: 'GET', url: '/v1/flows/app-logs' }),
        'TREMOR_NO_LEADER',
      );
      expect((await app.inject({ method: 'GET', url: '/v1/flows?stale=true' })).statusCode).toBe(
        200,
      );
      expect(
        (await app.inject({ method: 'GET', url: '/v1/flows/app-logs?stale=true' })).statusCode,
      ).toBe(200);
    });
  });

  describe('PATCH /v1/flows/:id', () => {
    it('pauses and resumes: 200 with the flow', async () => {
      const { app, service } = makeApp();
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      const paused = await app.inject({
        method: 'PATCH',
        url: '/v1/flows/app-logs',
        payload: { status: 'paused' },
      });
      expect(paused.statusCode).toBe(200);
      expect(paused.json<FlowView>().status).toBe('paused');
      expect(service.state().flows.get('app-logs')?.status).toBe('paused');
      const resumed = await app.inject({
        method: 'PATCH',
        url: '/v1/flows/app-logs',
        payload: { status: 'running' },
      });
      expect(resumed.json<FlowView>().status).toBe('running');
    });

    it('answers 404 for an unknown flow and 400 for another status', async () => {
      const { app } = makeApp();
      expectError(
        await app.inject({
          method: 'PATCH',
          url: '/v1/flows/ghost',
          payload: { status: 'paused' },
        }),
        'TREMOR_FLOW_NOT_FOUND',
      );
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      expectError(
        await app.inject({
          method: 'PATCH',
          url: '/v1/flows/app-logs',
          payload: { status: 'gone' },
        }),
        'TREMOR_BAD_REQUEST',
      );
      expectError(
        await app.inject({
          method: 'PATCH',
          url: '/v1/flows/app-logs',
          payload: { status: 'paused', spec: {} },
        }),
        'TREMOR_BAD_REQUEST',
      );
    });
  });

  describe('DELETE /v1/flows/:id', () => {
    it('deletes: 204, then 404', async () => {
      const { app, service } = makeApp();
      await app.inject({ method: 'POST', url: '/v1/flows', payload: sampleFlow() });
      const res = await app.inject({ method: 'DELETE', url: '/v1/flows/app-logs' });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect(service.state().flows.has('app-logs')).toBe(false);
      expectError(
        await app.inject({ method: 'DELETE', url: '/v1/flows/app-logs' }),
        'TREMOR_FLOW_NOT_FOUND',
      );
    });
  });
});
