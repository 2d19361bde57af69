import type { IngestEvent, IngestSink } from '../../src/api';
import { TremorError } from '../../src/errors';
import { expectError, makeApp } from './helpers';

class RecordingSink implements IngestSink {
  readonly batches: { flow: string; source: string; events: readonly IngestEvent[] }[] = [];
  ingest(flow: string, source: string, events: readonly IngestEvent[]): Promise<number> {
    if (flow === 'full') {
      return Promise.reject(new TremorError('TREMOR_BACKPRESSURE', 'backlog over its bound'));
    }
    this.batches.push({ flow, source, events });
    return Promise.resolve(events.length);
  }
}

const URL = '/v1/flows/app-logs/sources/in/events';

describe('ingest', () => {
  it('answers 421 TREMOR_NOT_A_WORKER on a coordinator, whatever the body', async () => {
    const { app } = makeApp({ nodeRoles: ['coordinator'] });
    for (const payload of ['{"a":1}', '{ broken']) {
      const res = await app.inject({
        method: 'POST',
        url: URL,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expectError(res, 'TREMOR_NOT_A_WORKER');
    }
  });

  it('answers 421 on a worker whose ingest is not wired yet', async () => {
    const { app } = makeApp({ nodeRoles: ['worker'] });
    expectError(
      await app.inject({ method: 'POST', url: URL, payload: { a: 1 } }),
      'TREMOR_NOT_A_WORKER',
    );
  });

  describe('on a worker', () => {
    const build = () => {
      const sink = new RecordingSink();
      return { sink, ...makeApp({ nodeRoles: ['coordinator', 'worker'], ingest: sink }) };
    };

    it('accepts one object, an array of objects, or NDJSON: 202 { accepted }', async () => {
      const { app, sink } = build();
      const one = await app.inject({ method: 'POST', url: URL, payload: { a: 1 } });
      expect(one.statusCode).toBe(202);
      expect(one.json()).toEqual({ accepted: 1 });
      const many = await app.inject({ method: 'POST', url: URL, payload: [{ a: 1 }, { a: 2 }] });
      expect(many.json()).toEqual({ accepted: 2 });
      const ndjson = await app.inject({
        method: 'POST',
        url: URL,
        headers: { 'content-type': 'application/x-ndjson' },
        payload: '{"a":1}\r\n\n{"a":2}\n{"a":3}\n',
      });
      expect(ndjson.statusCode).toBe(202);
      expect(ndjson.json()).toEqual({ accepted: 3 });
      expect(sink.batches.map((b) => b.events.length)).toEqual([1, 2, 3]);
      expect(sink.batches[0]).toMatchObject({ flow: 'app-logs', source: 'in' });
    });

    it('answers NDJSON with a bad line with 400 naming the line', async () => {
      const { app, sink } = build();
      const res = await app.inject({
        method: 'POST',
        url: URL,
        headers: { 'content-type': 'application/x-ndjson' },
        payload: '{"a":1}\n{"a":2}\n{"a":\n',
      });
      const body = expectError(res, 'TREMOR_BODY_INVALID');
      expect(body.error.message).toMatch(/^line 3 /);
      expect(sink.batches).toEqual([]);
    });

    it('answers events that are not objects with 400', async () => {
      const { app } = build();
      expectError(
        await app.inject({ method: 'POST', url: URL, payload: [1, 2] }),
        'TREMOR_BAD_REQUEST',
      );
    });

    it("passes the sink's refusal on", async () => {
      const { app } = build();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/flows/full/sources/in/events',
        payload: { a: 1 },
      });
      expectError(res, 'TREMOR_BACKPRESSURE');
    });
  });
});
