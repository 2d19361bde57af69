import { expectError, makeApp } from './helpers';

describe('kv routes', () => {
  it('PUT stores any JSON value and answers { key, value, revision }; GET reads it back', async () => {
    const { app, service } = makeApp();
    for (const value of [{ a: [1, 'two', null] }, 'text', 42, true, null, []]) {
      const put = await app.inject({
        method: 'PUT',
        url: '/v1/kv/k',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(value),
      });
      expect(put.statusCode).toBe(200);
      const written = put.json<{ key: string; value: unknown; revision: number }>();
      expect(written).toEqual({ key: 'k', value, revision: service.state().appliedRevision });
      const get = await app.inject({ method: 'GET', url: '/v1/kv/k' });
      expect(get.statusCode).toBe(200);
      expect(get.json()).toEqual(written);
    }
  });

  it('GET answers 404 TREMOR_KV_NOT_FOUND for an absent key', async () => {
    const { app } = makeApp();
    const body = expectError(
      await app.inject({ method: 'GET', url: '/v1/kv/nope' }),
      'TREMOR_KV_NOT_FOUND',
    );
    expect(body.error.details).toEqual([{ key: 'nope' }]);
  });

  it('reads linearizably by default and the local copy with ?stale=true', async () => {
    const { app, service } = makeApp();
    await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { v: 1 } });
    await app.inject({ method: 'GET', url: '/v1/kv/k' });
    expect(service.linearizableReads).toBe(1);
    service.withoutLeader();
    const stale = await app.inject({ method: 'GET', url: '/v1/kv/k?stale=true' });
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toMatchObject({ value: { v: 1 } });
    expect(service.linearizableReads).toBe(1);
    expectError(await app.inject({ method: 'GET', url: '/v1/kv/k' }), 'TREMOR_NO_LEADER');
    expectError(
      await app.inject({ method: 'GET', url: '/v1/kv/k?stale=false' }),
      'TREMOR_NO_LEADER',
    );
  });

  it('takes keys with a slash percent-encoded', async () => {
    const { app, service } = makeApp();
    const put = await app.inject({ method: 'PUT', url: '/v1/kv/a%2Fb', payload: { n: 1 } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ key: 'a/b' });
    expect(service.state().kv.has('a/b')).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/v1/kv/a%2Fb' })).json()).toMatchObject({
      key: 'a/b',
      value: { n: 1 },
    });
  });

  it('PUT without a body answers 400 and stores nothing', async () => {
    const { app, service } = makeApp();
    const res = await app.inject({ method: 'PUT', url: '/v1/kv/k' });
    const body = expectError(res, 'TREMOR_BAD_REQUEST');
    expect(body.error.details).toEqual([{ path: 'body', message: 'is required' }]);
    expect(service.proposed).toEqual([]);
  });

  it('PUT of a value nested deeper than the state stores answers 400', async () => {
    const { app, service } = makeApp();
    const deep = '['.repeat(70) + ']'.repeat(70);
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: { 'content-type': 'application/json' },
      payload: deep,
    });
    expectError(res, 'TREMOR_BAD_REQUEST');
    expect(service.proposed).toEqual([]);
  });

  describe('POST /v1/kv/:key/cas', () => {
    it('writes when the key holds the expected value: 200', async () => {
      const { app } = makeApp();
      await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1, m: 2 } });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/kv/k/cas',
        payload: { expected: { m: 2, n: 1 }, value: { n: 2 } },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ key: 'k', value: { n: 2 } });
    });

    it('treats expected null as "absent"', async () => {
      const { app } = makeApp();
      const created = await app.inject({
        method: 'POST',
        url: '/v1/kv/lock/cas',
        payload: { expected: null, value: 'me' },
      });
      expect(created.statusCode).toBe(200);
      const again = await app.inject({
        method: 'POST',
        url: '/v1/kv/lock/cas',
        payload: { expected: null, value: 'you' },
      });
      const body = expectError(again, 'TREMOR_KV_CAS_FAILED');
      expect(body.error.details).toEqual([
        {
          key: 'lock',
          current: { value: 'me', revision: created.json<{ revision: number }>().revision },
        },
      ]);
    });

    it('answers 409 with current null when the key is absent', async () => {
      const { app } = makeApp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/kv/k/cas',
        payload: { expected: 1, value: 2 },
      });
      const body = expectError(res, 'TREMOR_KV_CAS_FAILED');
      expect(body.error.details).toEqual([{ key: 'k', current: null }]);
    });

    it('needs both expected and value, and nothing else', async () => {
      const { app } = makeApp();
      const missing = expectError(
        await app.inject({ method: 'POST', url: '/v1/kv/k/cas', payload: { value: 1 } }),
        'TREMOR_BAD_REQUEST',
      );
      expect(missing.error.details).toEqual([{ path: 'body/expected', message: 'is required' }]);
      expectError(
        await app.inject({
          method: 'POST',
          url: '/v1/kv/k/cas',
          payload: { expected: null, value: 1, other: 2 },
        }),
        'TREMOR_BAD_REQUEST',
      );
      expectError(await app.inject({ method: 'POST', url: '/v1/kv/k/cas' }), 'TREMOR_BAD_REQUEST');
    });
  });

  it('DELETE answers 204, also when the key is absent', async () => {
    const { app, service } = makeApp();
    await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1 } });
    const first = await app.inject({ method: 'DELETE', url: '/v1/kv/k' });
    expect(first.statusCode).toBe(204);
    expect(first.body).toBe('');
    expect(service.state().kv.has('k')).toBe(false);
    const second = await app.inject({ method: 'DELETE', url: '/v1/kv/k' });
    expect(second.statusCode).toBe(204);
  });
});
