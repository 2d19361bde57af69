/**
 * Framing: the header format, limits, and that any chunking of a byte stream decodes to the
 * frames that were written (unit cases for the usual shapes, then a property over random ones).
 */
import fc from 'fast-check';
import { ProtocolError } from '../../src/transport/errors';
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodePayload,
  encodeFrame,
  FrameDecoder,
} from '../../src/transport/frame-codec';
import { parseWireMessage, toWire, type WireMessage } from '../../src/transport/messages';

function decodeAll(decoder: FrameDecoder, chunks: readonly Buffer[]): unknown[] {
  const out: unknown[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let f = decoder.read(); f !== null; f = decoder.read()) out.push(f.value);
  }
  return out;
}

function protocolError(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('frame codec', () => {
  it('prefixes the msgpack payload with its length as a u32 big-endian', () => {
    const frame = encodeFrame({ a: 1 });
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(decodePayload(frame.subarray(4))).toEqual({ a: 1 });
    // Plain msgpack maps (here a map16 of one key), no msgpackr record extension.
    expect(frame[4]).toBe(0xde);
  });

  it('round-trips Uint8Array fields as plain Uint8Array, not Buffer', () => {
    const data = new Uint8Array([0, 1, 2, 255]);
    const [value] = decodeAll(new FrameDecoder(), [encodeFrame({ data, nested: [{ data }] })]);
    const v = value as { data: Uint8Array; nested: [{ data: Uint8Array }] };
    expect(Object.getPrototypeOf(v.data)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(v.nested[0].data)).toBe(Uint8Array.prototype);
    expect(v.data).toEqual(data);
  });

  it('decoded binaries are copies that do not alias the received chunk', () => {
    const frame = encodeFrame({ data: new Uint8Array([1, 2, 3]) });
    const [value] = decodeAll(new FrameDecoder(), [frame]);
    frame.fill(0);
    expect((value as { data: Uint8Array }).data).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('decodes a frame split across chunks, down to single bytes', () => {
    const frame = encodeFrame({ text: 'split me', n: 42 });
    const bytes = [...frame].map((b) => Buffer.from([b]));
    expect(decodeAll(new FrameDecoder(), bytes)).toEqual([{ text: 'split me', n: 42 }]);
  });

  it('decodes frames coalesced in one chunk, and a header split from its payload', () => {
    const frames = [encodeFrame({ i: 1 }), encodeFrame({ i: 2 }), encodeFrame({ i: 3 })];
    const all = Buffer.concat(frames);
    expect(decodeAll(new FrameDecoder(), [all])).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    const decoder = new FrameDecoder();
    const cut = (frames[0]?.length ?? 0) + 1;
    expect(decodeAll(decoder, [all.subarray(0, 2), all.subarray(2, cut)])).toEqual([{ i: 1 }]);
    expect(decodeAll(decoder, [all.subarray(cut)])).toEqual([{ i: 2 }, { i: 3 }]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses a length over the maximum from the header alone', () => {
    const decoder = new FrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025, 0);
    decoder.push(header);
    expect(protocolError(() => decoder.read()).violation).toBe('frame-too-large');
    // The stream has lost its framing: the decoder stays failed.
    decoder.push(encodeFrame({ ok: true }));
    expect(protocolError(() => decoder.read()).violation).toBe('frame-too-large');
  });

  it('defaults the maximum to 16 MiB and accepts a frame of exactly the maximum', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(16 * 1024 * 1024);
    const frame = encodeFrame('x'.repeat(1000));
    const decoder = new FrameDecoder(frame.length - 4);
    expect(decodeAll(decoder, [frame])).toEqual(['x'.repeat(1000)]);
  });

  it('refuses an empty frame', () => {
    const decoder = new FrameDecoder();
    decoder.push(Buffer.alloc(4));
    expect(protocolError(() => decoder.read()).violation).toBe('empty-frame');
  });

  it.each([
    ['truncated string', [0xa5, 0x61]],
    ['trailing bytes', [0x01, 0x02]],
    ['unknown extension', [0xd4, 0x01, 0x00]],
    ['non-string map key', [0x81, 0x91, 0x01, 0x02]],
  ])('reports an undecodable payload (%s) as a protocol error', (_name, bytes) => {
    const err = protocolError(() => decodePayload(Buffer.from(bytes)));
    expect(err.code).toBe('TREMOR_CLUSTER_PROTOCOL_ERROR');
    expect(err.violation).toBe('undecodable');
  });

  it('survives nesting deep enough to overflow the stack', () => {
    const deep = Buffer.alloc(200_000, 0x91);
    deep[deep.length - 1] = 0xc0;
    expect(protocolError(() => decodePayload(deep)).violation).toBe('undecodable');
  });
});

const name = fc.string({ minLength: 1, maxLength: 12 });
const count = fc.nat({ max: 1_000_000 });
const bytes = fc.uint8Array({ maxLength: 64 });
const body: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 20 }),
    bytes,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

const entry = fc.record({
  index: count,
  term: count,
  type: fc.constantFrom('normal' as const, 'conf' as const),
  data: bytes,
});

const raft = fc.record(
  {
    type: fc.constantFrom('app' as const, 'app-resp' as const, 'vote' as const, 'snap' as const),
    from: name,
    to: name,
    term: count,
    index: count,
    logTerm: count,
    commit: count,
    entries: fc.array(entry, { maxLength: 4 }),
    reject: fc.boolean(),
    rejectHint: count,
    snapshot: fc.record({
      meta: fc.record({
        index: count,
        term: count,
        conf: fc.record({ voters: fc.array(name), learners: fc.array(name) }),
      }),
      data: bytes,
    }),
    context: fc.string({ maxLength: 16 }),
  },
  { requiredKeys: ['type', 'from', 'to', 'term', 'index', 'logTerm', 'commit'] },
);

const wireMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  raft.map((msg): WireMessage => ({ t: 'raft', msg })),
  fc.record({ id: count, method: name, body }).map((m): WireMessage => ({ t: 'req', ...m })),
  fc.record({ id: count, body }).map((m): WireMessage => ({ t: 'res', ok: true, ...m })),
  fc
    .record({ id: count, code: name, message: fc.string({ maxLength: 40 }) })
    .map((m): WireMessage => ({
      t: 'res',
      id: m.id,
      ok: false,
      error: { code: m.code, message: m.message },
    })),
  fc.record({ topic: name, body }).map((m): WireMessage => ({ t: 'push', ...m })),
);

describe('frame codec property', () => {
  it('any message sequence, cut at any boundaries, decodes to the same sequence', () => {
    fc.assert(
      fc.property(
        fc.array(wireMessage, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((m) => encodeFrame(toWire(m))));
          const points = [...new Set(cuts.map((c) => (stream.length ? c % stream.length : 0)))];
          points.sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let from = 0;
          for (const p of [...points, stream.length]) {
            chunks.push(stream.subarray(from, p));
            from = p;
          }
          const decoded = decodeAll(new FrameDecoder(), chunks).map(parseWireMessage);
          expect(decoded).toEqual(messages);
        },
      ),
      { numRuns: 300 },
    );
  });
});
