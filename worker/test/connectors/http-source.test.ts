import { TremorError } from '../../../control-plane/src/errors';
import { HttpSource } from '../../src/connectors/sources/http-source';
import { buildDistributor } from '../../src/flows/distribution';
import { hash32 } from '../../../control-plane/src/hash/murmur3';

function source() {
  return new HttpSource(
    'f',
    'in',
    'w1',
    buildDistributor({ strategy: 'hash', key: 'event.app' }, 4),
  );
}

describe('http source', () => {
  it('stamps every event of a request with the same ingest_ts and places it on its vnode', () => {
    const records = source().accept([{ app: 'a' }, { app: 'b', n: 1 }], 1_234);
    expect(records).toEqual([
      { vnode: hash32('a') % 4, event: { app: 'a' }, ingest_ts: 1_234 },
      { vnode: hash32('b') % 4, event: { app: 'b', n: 1 }, ingest_ts: 1_234 },
    ]);
  });

  it('refuses the whole request when one event is not an object, naming it', () => {
    const s = source();
    for (const bad of [[{ app: 'a' }, 3], [[{ app: 'a' }]], [null], ['x']]) {
      let thrown: unknown;
      try {
        s.accept(bad, 1);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TremorError);
      expect((thrown as TremorError).code).toBe('TREMOR_BODY_INVALID');
      expect((thrown as TremorError).message).toMatch(/^event \d+ of \d+ is /);
    }
  });

  it('keeps an event whose key fails, marked for port err', () => {
    const [record] = source().accept([{ no_app: true }], 5);
    expect(record).toMatchObject({ vnode: 0, ingest_ts: 5, event: { no_app: true } });
    expect(record?.error).toMatch(/distribution key/);
  });
});
