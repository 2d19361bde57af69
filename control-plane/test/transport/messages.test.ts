/** Validation of decoded frames: what passes is rebuilt from known fields, the rest is refused. */
import { ProtocolError } from '../../src/transport/errors';
import { decodePayload, encodePayload } from '../../src/transport/frame-codec';
import { parseWireMessage, toWire, type WireMessage } from '../../src/transport/messages';
import { raftMessage } from './helpers';

function viaWire(m: WireMessage): unknown {
  return decodePayload(encodePayload(toWire(m)));
}

function refusal(raw: unknown): string {
  try {
    parseWireMessage(raw);
  } catch (err) {
    if (err instanceof ProtocolError && err.violation === 'invalid-message') return err.message;
    throw err;
  }
  throw new Error('expected the frame to be refused');
}

const good = raftMessage('a', 'b', {
  type: 'app',
  entries: [{ index: 8, term: 3, type: 'normal', data: new Uint8Array([1, 2, 3]) }],
});

describe('wire messages', () => {
  it('round-trips a Raft message with entries and a snapshot', () => {
    const msg = raftMessage('a', 'b', {
      type: 'snap',
      snapshot: {
        meta: { index: 10, term: 2, conf: { voters: ['a', 'b', 'c'], learners: ['d'] } },
        data: new Uint8Array([9, 8, 7]),
      },
      reject: false,
      rejectHint: 4,
      context: 'read-1',
    });
    expect(parseWireMessage(viaWire({ t: 'raft', msg }))).toEqual({ t: 'raft', msg });
  });

  it('leaves absent optional Raft fields absent, not undefined', () => {
    const encoded = toWire({ t: 'raft', msg: { ...raftMessage('a', 'b'), entries: undefined } });
    expect(Object.keys(encoded.msg as object)).not.toContain('entries');
    const parsed = parseWireMessage(viaWire({ t: 'raft', msg: raftMessage('a', 'b') }));
    expect(Object.keys((parsed as { msg: object }).msg)).not.toContain('entries');
  });

  it('drops fields a peer adds', () => {
    const raw = viaWire({ t: 'raft', msg: good }) as { msg: Record<string, unknown> };
    raw.msg.extra = 'ignored';
    expect(parseWireMessage({ ...raw, more: 1 })).toEqual({ t: 'raft', msg: good });
  });

  it('round-trips requests, both kinds of responses and pushes', () => {
    const all: WireMessage[] = [
      { t: 'req', id: 1, method: 'join', body: { worker: 'w1', bin: new Uint8Array([1]) } },
      { t: 'res', id: 1, ok: true, body: [1, 'two'] },
      { t: 'res', id: 2, ok: false, error: { code: 'TREMOR_X', message: 'no' } },
      { t: 'push', topic: 'state', body: null },
    ];
    for (const m of all) expect(parseWireMessage(viaWire(m))).toEqual(m);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown kind', { t: 'hello' }, /unknown message kind "hello"/],
    ['a frame that is not a map', [1, 2], /frame is not a map/],
    ['binary instead of a map', new Uint8Array(3), /frame is not a map/],
    ['an unknown Raft type', { t: 'raft', msg: { ...good, type: 'nope' } }, /type "nope"/],
    ['a negative term', { t: 'raft', msg: { ...good, term: -1 } }, /term is not/],
    ['a fractional index', { t: 'raft', msg: { ...good, index: 1.5 } }, /index is not/],
    ['a missing from', { t: 'raft', msg: { ...good, from: undefined } }, /from is not a string/],
    [
      'entry data that is not binary',
      { t: 'raft', msg: { ...good, entries: [{ index: 1, term: 1, type: 'normal', data: 'x' }] } },
      /entries\[0\]\.data is not binary/,
    ],
    [
      'a malformed snapshot',
      {
        t: 'raft',
        msg: { ...good, snapshot: { meta: { index: 1, term: 1 }, data: new Uint8Array() } },
      },
      /snapshot\.meta\.conf is not a map/,
    ],
    ['a request without an id', { t: 'req', method: 'x', body: null }, /req\.id/],
    ['a response without ok', { t: 'res', id: 1, body: null }, /res\.ok/],
    ['an overlong method', { t: 'req', id: 1, method: 'm'.repeat(300), body: 1 }, /longer/],
    ['a push without a topic', { t: 'push', body: 1 }, /push\.topic/],
  ])('refuses %s', (_name, raw, reason) => {
    expect(refusal(raw)).toMatch(reason);
  });
});
