import { ApiClient } from '../../client/api-client';
import { ApiError, ApiUnreachableError } from '../../client/errors';
import { FakeApi, tremor } from './harness';

const emptyList = () => new FakeApi().on('GET /v1/flows', { body: [] });

describe('which API, with which token', () => {
  it.each([
    [[], {}, 'http://127.0.0.1:9898/v1/flows'],
    [[], { TREMOR_API: 'http://env:1' }, 'http://env:1/v1/flows'],
    [[], { TREMOR_API: '' }, 'http://127.0.0.1:9898/v1/flows'],
    [['--api', 'http://flag:2'], { TREMOR_API: 'http://env:1' }, 'http://flag:2/v1/flows'],
    [['--api', 'https://proxy/tremor/'], {}, 'https://proxy/tremor/v1/flows'],
  ])('%j with %j asks %s', async (flags, env, url) => {
    const fake = emptyList();
    fake.on('GET /tremor/v1/flows', { body: [] });
    const run = await tremor(['flow', 'list', ...flags], { fetch: fake.fetch, env });
    expect(run.exits).toEqual([0]);
    expect(fake.requests.map((r) => r.url)).toEqual([url]);
  });

  it.each([
    [[], {}, null],
    [['--api-token', 'flag-t'], { TREMOR_API_TOKEN: 'env-t' }, 'Bearer flag-t'],
    [[], { TREMOR_API_TOKEN: 'env-t' }, 'Bearer env-t'],
    [[], { TREMOR_API_TOKEN: '' }, null],
  ])('%j with %j sends authorization %s', async (flags, env, authorization) => {
    const fake = emptyList();
    const run = await tremor(['flow', 'list', ...flags], { fetch: fake.fetch, env });
    expect(run.exits).toEqual([0]);
    expect(fake.requests[0]?.headers.get('authorization')).toBe(authorization);
  });

  it.each([
    [['--api', 'ftp://x'], {}, '--api: expected an http:// or https:// URL, got "ftp://x"'],
    [['--api', 'localhost:9898'], {}, '--api: expected an http:// or https:// URL'],
    [[], { TREMOR_API: 'not a url' }, 'TREMOR_API: expected an http:// or https:// URL'],
    [['--api', 'http://h/?x=1'], {}, '--api: the API URL takes no query or fragment'],
    [['--api-token', ' '], {}, '--api-token: must not be empty'],
  ])('%j with %j is a usage error naming it', async (flags, env, message) => {
    const fake = emptyList();
    const run = await tremor(['flow', 'list', ...flags], { fetch: fake.fetch, env });
    expect(run.exits).toEqual([2]);
    expect(run.stderr.startsWith(`tremor: error: ${message}`)).toBe(true);
    expect(fake.requests).toEqual([]);
  });

  it('every client command takes --api and --api-token', async () => {
    for (const args of [
      ['cluster', 'status'],
      ['flow', 'apply'],
      ['flow', 'list'],
      ['flow', 'get'],
      ['flow', 'delete'],
      ['flow', 'pause'],
      ['flow', 'resume'],
    ]) {
      const help = (await tremor([...args, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help).toContain(' --api <URL> ');
      expect(help).toContain(' --api-token <T> ');
      expect(help).toContain('env: TREMOR_API)');
      expect(help).toContain('env: TREMOR_API_TOKEN)');
    }
  });

  it('a 401 says how to give the token', async () => {
    const fake = new FakeApi().on('GET /v1/flows', {
      status: 401,
      body: { error: { code: 'TREMOR_UNAUTHORIZED', message: 'the API token is not valid' } },
    });
    const run = await tremor(['flow', 'list', '--api-token', 'wrong'], { fetch: fake.fetch });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toBe(
      'tremor: TREMOR_UNAUTHORIZED: the API token is not valid\n(give the API token with --api-token or TREMOR_API_TOKEN)\n',
    );
  });
});

/** A fetch that fails as Node's does: a TypeError with the socket error as its cause. */
function failingFetch(cause: unknown): typeof fetch {
  return () => Promise.reject(new TypeError('fetch failed', { cause }));
}

const socketError = (code: string): Error =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('an API that does not answer', () => {
  it.each([
    ['refused', socketError('ECONNREFUSED'), 'connection refused'],
    [
      'refused on every address',
      new AggregateError([socketError('ECONNREFUSED')], ''),
      'connection refused',
    ],
    ['no such host', socketError('ENOTFOUND'), 'no such host'],
    ['reset', socketError('ECONNRESET'), 'the connection was closed'],
    ['anything else', new Error('something else'), 'something else'],
  ])('%s: exit 1, naming the URL, the reason and --api', async (_what, cause, reason) => {
    const run = await tremor(['cluster', 'status', '--api', 'http://h:9'], {
      fetch: failingFetch(cause),
    });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toBe(
      `tremor: cannot reach the API at http://h:9 (${reason}): is a tremor server running there? Name the API of a node with --api URL (or TREMOR_API).\n`,
    );
  });

  it('is given up after the request timeout', async () => {
    let signal: AbortSignal | null | undefined;
    const hanging: typeof fetch = (_input, init) => {
      signal = init?.signal;
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      });
    };
    const client = new ApiClient({
      baseUrl: 'http://h:1',
      token: null,
      fetch: hanging,
      timeoutMs: 50,
    });
    const failure = await client.flows().catch((err: unknown) => err);
    expect(signal).toBeDefined();
    expect(failure).toBeInstanceOf(ApiUnreachableError);
    expect((failure as ApiUnreachableError).reason).toBe('no answer within 0.05 s');
  });
});

describe('answers', () => {
  const client = (fake: FakeApi) =>
    new ApiClient({ baseUrl: 'http://h', token: null, fetch: fake.fetch });

  it('an error answer becomes an ApiError with status, code, message and details', async () => {
    const fake = new FakeApi().on('GET /v1/flows/x', {
      status: 404,
      body: {
        error: { code: 'TREMOR_FLOW_NOT_FOUND', message: 'no flow x', details: [{ id: 'x' }] },
      },
    });
    const err = (await client(fake)
      .flow('x')
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect({ ...err, message: err.message }).toMatchObject({
      status: 404,
      code: 'TREMOR_FLOW_NOT_FOUND',
      message: 'no flow x',
      details: [{ id: 'x' }],
    });
  });

  it('an error answer without a body says so', async () => {
    const fake = new FakeApi().on('GET /v1/flows', { status: 500, text: '' });
    await expect(client(fake).flows()).rejects.toMatchObject({
      code: 'HTTP 500',
      message: 'the answer has no body',
    });
  });

  it('a success that is not JSON is an error', async () => {
    const fake = new FakeApi().on('GET /v1/flows', { status: 200, text: '<html>' });
    await expect(client(fake).flows()).rejects.toMatchObject({
      code: 'HTTP 200',
      message: 'GET /v1/flows: the answer is not JSON',
    });
  });

  it('PUT tells created (201) from replaced (200)', async () => {
    const fake = new FakeApi()
      .on('PUT /v1/flows/a', { status: 201, body: { id: 'a' } })
      .on('PUT /v1/flows/b', { status: 200, body: { id: 'b' } });
    expect((await client(fake).putFlow('a', {})).created).toBe(true);
    expect((await client(fake).putFlow('b', {})).created).toBe(false);
  });
});
