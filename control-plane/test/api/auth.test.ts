import { expectError, makeApp } from './helpers';

const TOKEN = 's3cret-token';

describe('API token', () => {
  const build = () => makeApp({ apiToken: TOKEN });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer wrong`],
    ['a token of another length', `Bearer ${TOKEN}x`],
    ['another scheme', `Basic ${TOKEN}`],
    ['a bare token', TOKEN],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 with %s', async (_name, authorization) => {
    const { app } = build();
    const res = await app.inject({
      method: 'GET',
      url: '/v1/status',
      headers: authorization === undefined ? {} : { authorization },
    });
    expectError(res, 'TREMOR_UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('lets the right token through, scheme in any case', async () => {
    const { app } = build();
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/status',
        headers: { authorization },
      });
      expect(res.statusCode).toBe(200);
    }
  });

  it('keeps /health/* open', async () => {
    const { app } = build();
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });

  it('guards writes before reading their body, the OpenAPI document, metrics and unknown paths', async () => {
    const { app, service } = build();
    const write = await app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: { 'content-type': 'application/json' },
      payload: '{ not json',
    });
    expectError(write, 'TREMOR_UNAUTHORIZED');
    expect(service.proposed).toEqual([]);
    for (const url of ['/documentation/json', '/metrics', '/nowhere', '/health/../v1/status']) {
      expectError(await app.inject({ method: 'GET', url }), 'TREMOR_UNAUTHORIZED');
    }
  });

  it('asks for nothing when no token is configured', async () => {
    const { app } = makeApp({ apiToken: null });
    const res = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(res.statusCode).toBe(200);
  });
});
