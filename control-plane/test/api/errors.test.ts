import pino from 'pino';
import { MembershipError, ProposalTimeoutError } from '../../src/coordinator/service';
import { describeJsonError, jsonErrorOffset } from '../../src/api/json-error-position';
import { TransportError } from '../../src/transport/errors';
import { anyString, expectError, makeApp } from './helpers';

describe('the error shape', () => {
  it('answers an unknown route with 404 TREMOR_ROUTE_NOT_FOUND', async () => {
    const { app } = makeApp();
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expectError(res, 'TREMOR_ROUTE_NOT_FOUND');
    const other = await app.inject({ method: 'DELETE', url: '/v1/cluster' });
    expectError(other, 'TREMOR_ROUTE_NOT_FOUND');
  });

  it('answers a body over the limit with 413 TREMOR_PAYLOAD_TOO_LARGE', async () => {
    const { app, service } = makeApp({ bodyLimit: 64 });
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/kv/big',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'x'.repeat(100) }),
    });
    expectError(res, 'TREMOR_PAYLOAD_TOO_LARGE');
    expect(service.proposed).toEqual([]);
    const small = await app.inject({ method: 'PUT', url: '/v1/kv/small', payload: { a: 1 } });
    expect(small.statusCode).toBe(200);
  });

  it('defaults the body limit to 16 MiB', async () => {
    const { app } = makeApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/kv/big',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify('x'.repeat(16 * 1024 * 1024)),
    });
    expectError(res, 'TREMOR_PAYLOAD_TOO_LARGE');
  });

  it('answers JSON that does not parse with 400 TREMOR_BODY_INVALID saying where', async () => {
    const { app } = makeApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      headers: { 'content-type': 'application/json' },
      payload: '{\n  "a": 1,\n  "b": x\n}',
    });
    const body = expectError(res, 'TREMOR_BODY_INVALID');
    expect(body.error.message).toContain('line 3, column 8');
  });

  it('answers an unknown content type with 415 TREMOR_UNSUPPORTED_MEDIA_TYPE', async () => {
    const { app } = makeApp();
    for (const type of ['text/plain', 'application/yaml', 'application/x-www-form-urlencoded']) {
      const res = await app.inject({
        method: 'PUT',
        url: '/v1/kv/k',
        headers: { 'content-type': type },
        payload: 'a=1',
      });
      expectError(res, 'TREMOR_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('answers schema violations with 400 TREMOR_BAD_REQUEST listing every problem', async () => {
    const { app } = makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/cluster/coordinators',
      payload: { address: 7, extra: true },
    });
    const body = expectError(res, 'TREMOR_BAD_REQUEST');
    const paths = (body.error.details as { path: string; message: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body/address', 'body/extra']));
    for (const detail of body.error.details) {
      expect(detail).toEqual({ path: anyString, message: anyString });
    }
  });

  it('answers a bad query or path parameter with TREMOR_BAD_REQUEST', async () => {
    const { app } = makeApp();
    expectError(
      await app.inject({ method: 'GET', url: '/v1/kv/k?stale=maybe' }),
      'TREMOR_BAD_REQUEST',
    );
    expectError(
      await app.inject({ method: 'GET', url: `/v1/flows/${'x'.repeat(65)}` }),
      'TREMOR_BAD_REQUEST',
    );
  });

  it('answers an unexpected failure with 500 TREMOR_INTERNAL and no internals', async () => {
    const { app, service } = makeApp();
    service.failNextWith(new Error('database password is hunter2'));
    const res = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1 } });
    const body = expectError(res, 'TREMOR_INTERNAL');
    expect(body.error.message).not.toContain('hunter2');
  });

  it('answers a proposal timeout with TREMOR_PROPOSAL_TIMEOUT', async () => {
    const { app, service } = makeApp();
    service.failNextWith(new ProposalTimeoutError(5000));
    const res = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1 } });
    expectError(res, 'TREMOR_PROPOSAL_TIMEOUT');
  });

  it('maps typed errors of other layers by their registered code', async () => {
    const { app, service } = makeApp();
    service.failNextWith(new MembershipError('TREMOR_MEMBERSHIP_CHANGE_PENDING', 'busy'));
    expectError(
      await app.inject({
        method: 'POST',
        url: '/v1/cluster/coordinators',
        payload: { address: 'c9' },
      }),
      'TREMOR_MEMBERSHIP_CHANGE_PENDING',
    );
    service.failNextWith(new TransportError('TREMOR_CLUSTER_PEER_UNAVAILABLE', 'gone'));
    expectError(
      await app.inject({ method: 'POST', url: '/v1/cluster/leader' }),
      'TREMOR_CLUSTER_PEER_UNAVAILABLE',
    );
  });
});

describe('JSON error positions', () => {
  it.each([
    ['{"a":}', 5],
    ['{"a":1', 6],
    ['[1,2,]', 5],
    ['nope', 0],
    ['{"a":1}}', 7],
    ['"\\x"', 2],
    ['{"a" 1}', 5],
    ['01', 1],
    ['', 0],
    ['['.repeat(100_000), 100_000],
  ])('finds where %j breaks', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it.each(['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]} ', '"x"', '0'])(
    'accepts %j',
    (text) => {
      expect(jsonErrorOffset(text)).toBeNull();
    },
  );

  it('describes the position as line and column', () => {
    expect(describeJsonError('{\n "a": ]\n}')).toBe('line 2, column 7: unexpected "]"');
    expect(describeJsonError('[1,')).toBe('line 1, column 4: unexpected end of the text');
  });
});

describe('logging', () => {
  it('logs an unexpected failure with its cause through the given pino logger', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const { app, service } = makeApp({ logger });
    service.failNextWith(new Error('disk on fire'));
    const res = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: { n: 1 } });
    expectError(res, 'TREMOR_INTERNAL');
    const logged = lines.find((l) => l.msg === 'request failed unexpectedly');
    expect(logged).toMatchObject({ level: 50, err: { message: 'disk on fire' } });
  });
});
