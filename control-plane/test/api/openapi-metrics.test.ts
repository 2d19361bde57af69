import { expectError, makeApp } from './helpers';

/** Every route of CONTRACT §3 but the document itself. */
const CONTRACT_ROUTES = [
  'GET /health/live',
  'GET /health/ready',
  'GET /v1/version',
  'GET /v1/status',
  'GET /v1/cluster',
  'GET /v1/cluster/vnodes',
  'POST /v1/cluster/workers/{id}/drain',
  'POST /v1/cluster/coordinators',
  'DELETE /v1/cluster/coordinators/{id}',
  'POST /v1/cluster/leader',
  'GET /v1/flows',
  'POST /v1/flows',
  'PUT /v1/flows/{id}',
  'GET /v1/flows/{id}',
  'PATCH /v1/flows/{id}',
  'DELETE /v1/flows/{id}',
  'POST /v1/flows/{flow}/sources/{source}/events',
  'GET /v1/kv/{key}',
  'PUT /v1/kv/{key}',
  'POST /v1/kv/{key}/cas',
  'DELETE /v1/kv/{key}',
  'GET /metrics',
].sort();

interface Operation {
  readonly responses: Record<string, unknown>;
  readonly parameters?: { readonly in: string; readonly name: string }[];
  readonly requestBody?: { readonly content: Record<string, unknown> };
}

type OpenApi = {
  readonly openapi: string;
  readonly info: { readonly version: string };
  readonly paths: Record<string, Record<string, Operation>>;
};

describe('the OpenAPI document', () => {
  it('lists every route of the contract, and every route the app has', async () => {
    const { app } = makeApp({ version: '4.5.6' });
    const registered: string[] = [];
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method === 'HEAD' || route.url === '/documentation/json') continue;
        registered.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }
    });
    const res = await app.inject({ method: 'GET', url: '/documentation/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<OpenApi>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toBe('4.5.6');
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(CONTRACT_ROUTES);
    expect(registered.sort()).toEqual(CONTRACT_ROUTES);
  });

  it('documents parameters, bodies and the error shape of every route', async () => {
    const { app } = makeApp();
    const doc = (await app.inject({ method: 'GET', url: '/documentation/json' })).json<OpenApi>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect([where, Object.keys(op.responses).some((s) => /^2/.test(s))]).toEqual([where, true]);
        expect([where, Object.keys(op.responses)]).toEqual([
          where,
          expect.arrayContaining(['4XX', '5XX']),
        ]);
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          const param = name.slice(1, -1);
          expect([where, op.parameters?.some((p) => p.in === 'path' && p.name === param)]).toEqual([
            where,
            true,
          ]);
        }
      }
    }
    expect(Object.keys(doc.paths['/v1/flows']?.post?.requestBody?.content ?? {})).toEqual(
      expect.arrayContaining(['application/json', 'application/yaml', 'text/yaml']),
    );
    expect(
      Object.keys(
        doc.paths['/v1/flows/{flow}/sources/{source}/events']?.post?.requestBody?.content ?? {},
      ),
    ).toEqual(expect.arrayContaining(['application/json', 'application/x-ndjson']));
  });
});

describe('/metrics', () => {
  it('serves the registry in the Prometheus text format, with request counts by route and status', async () => {
    const { app } = makeApp();
    await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: { n: 1 } });
    await app.inject({ method: 'PUT', url: '/v1/kv/b', payload: { n: 2 } });
    await app.inject({ method: 'GET', url: '/v1/kv/missing' });
    await app.inject({ method: 'GET', url: '/nowhere' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('# TYPE tremor_http_requests_total counter');
    expect(text).toContain('# TYPE tremor_http_request_duration_seconds histogram');
    expect(text).toContain(
      'tremor_http_requests_total{method="PUT",route="/v1/kv/:key",status="200"} 2',
    );
    expect(text).toContain(
      'tremor_http_requests_total{method="GET",route="/v1/kv/:key",status="404"} 1',
    );
    expect(text).toContain(
      'tremor_http_requests_total{method="GET",route="unmatched",status="404"} 1',
    );
    expect(text).toMatch(
      /tremor_http_request_duration_seconds_bucket\{.*route="\/v1\/kv\/:key".*\} \d+/,
    );
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfa]+$/);
    }
  });

  it('shares one registry between apps without registering twice', async () => {
    const first = makeApp();
    const second = makeApp({ metrics: first.metrics });
    await first.app.ready();
    await second.app.ready();
    expect((await second.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('answers with the error shape when the token is missing', async () => {
    const { app } = makeApp({ apiToken: 't' });
    expectError(await app.inject({ method: 'GET', url: '/metrics' }), 'TREMOR_UNAUTHORIZED');
  });
});

describe('the OpenAPI security declaration', () => {
  it('declares the bearer token for every route but /health/*', async () => {
    const { app } = makeApp({ apiToken: 'secret' });
    const res = await app.inject({
      method: 'GET',
      url: '/documentation/json',
      headers: { authorization: 'Bearer secret' },
    });
    const doc = res.json<{
      security: unknown[];
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    }>();
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/health/live']?.get?.security).toEqual([]);
    expect(doc.paths['/v1/status']?.get?.security).toBeUndefined();
  });
});
