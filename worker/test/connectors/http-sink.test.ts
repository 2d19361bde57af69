import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpSink, HttpSinkError } from '../../src/connectors/sinks/http-sink';

/** A real local HTTP server answering with the statuses of `script` in turn (then 200). */
async function server(
  script: number[],
): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(`${req.headers['content-type'] ?? ''}|${body}`);
      res.statusCode = script.shift() ?? 200;
      res.end(res.statusCode === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    bodies,
    close: () => new Promise((r) => s.close(() => r())),
  };
}

const FAST = { initialBackoffMs: 1, maxBackoffMs: 5, random: () => 0.5 };

describe('http sink (real HTTP server)', () => {
  it('POSTs a batch as NDJSON and resolves on 2xx', async () => {
    const srv = await server([]);
    await new HttpSink('h', srv.url, FAST).write([{ a: 1 }, { b: 2 }]);
    expect(srv.bodies).toEqual(['application/x-ndjson|{"a":1}\n{"b":2}\n']);
    await srv.close();
  });

  it('retries 5xx and 429 with backoff, then succeeds', async () => {
    const srv = await server([503, 429, 500]);
    await new HttpSink('h', srv.url, FAST).write([{ a: 1 }]);
    expect(srv.bodies).toHaveLength(4);
    await srv.close();
  });

  it('gives up after the bounded attempts, and fails at once on a 4xx refusal', async () => {
    const srv = await server([500, 500, 500]);
    await expect(
      new HttpSink('h', srv.url, { ...FAST, attempts: 3 }).write([{ a: 1 }]),
    ).rejects.toThrow(/failed 3 times; last: 500/);
    const refusing = await server([400]);
    const err: unknown = await new HttpSink('h', refusing.url, FAST)
      .write([{ a: 1 }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpSinkError);
    expect((err as HttpSinkError).status).toBe(400);
    expect(refusing.bodies).toHaveLength(1);
    await srv.close();
    await refusing.close();
  });

  it('retries a refused connection, then fails naming the cause', async () => {
    const srv = await server([]);
    const url = srv.url;
    await srv.close();
    await expect(
      new HttpSink('h', url, { ...FAST, attempts: 2 }).write([{ a: 1 }]),
    ).rejects.toThrow(/failed 2 times/);
  });
});
