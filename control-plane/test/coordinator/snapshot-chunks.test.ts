import {
  CHUNK_SNAPSHOTS_ABOVE,
  SNAPSHOT_CHUNK_BYTES,
  SnapshotAssembler,
  needsChunks,
  toChunks,
} from '../../src/coordinator/snapshot-chunks';
import type { Message } from '../../src/raft/types';

function snapMessage(bytes: number): Message {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31) & 0xff;
  return {
    type: 'snap',
    from: 'a',
    to: 'b',
    term: 7,
    index: 0,
    logTerm: 0,
    commit: 0,
    snapshot: {
      meta: { index: 42, term: 6, conf: { voters: ['a', 'b', 'c'], learners: [] } },
      data,
    },
  };
}

describe('snapshot chunks', () => {
  it('only snapshots above the bound are chunked', () => {
    expect(needsChunks(snapMessage(CHUNK_SNAPSHOTS_ABOVE))).toBe(false);
    expect(needsChunks(snapMessage(CHUNK_SNAPSHOTS_ABOVE + 1))).toBe(true);
  });

  it('chunks reassemble into the same message', () => {
    const m = snapMessage(2 * SNAPSHOT_CHUNK_BYTES + 123);
    const chunks = toChunks(m, 'id1');
    expect(chunks).toHaveLength(3);
    const asm = new SnapshotAssembler();
    const out = chunks.map((c) => asm.accept('a', c));
    expect(out.slice(0, 2)).toEqual([null, null]);
    const whole = out[2];
    expect(whole?.snapshot?.meta).toEqual(m.snapshot?.meta);
    expect(
      Buffer.compare(
        whole?.snapshot?.data ?? new Uint8Array(),
        m.snapshot?.data ?? new Uint8Array(),
      ),
    ).toBe(0);
    expect([whole?.from, whole?.to, whole?.term, whole?.type]).toEqual(['a', 'b', 7, 'snap']);
  });

  it("a gap, a foreign id, a sender that is not the header's, or garbage yields nothing", () => {
    const chunks = toChunks(snapMessage(2 * SNAPSHOT_CHUNK_BYTES + 1), 'id1');
    const [c0, c1, c2] = chunks;
    if (!c0 || !c1 || !c2) throw new Error('expected three chunks');
    const gap = new SnapshotAssembler();
    expect([gap.accept('a', c0), gap.accept('a', c2)]).toEqual([null, null]);
    expect(gap.accept('a', c1)).toBeNull();
    const foreign = new SnapshotAssembler();
    foreign.accept('a', c0);
    expect(foreign.accept('a', { ...c1, id: 'other' })).toBeNull();
    expect(foreign.accept('a', c2)).toBeNull();
    expect(new SnapshotAssembler().accept('x', c0)).toBeNull();
    const junk = new SnapshotAssembler();
    for (const body of [null, 1, 'x', {}, { ...c0, seq: 5 }, { ...c0, header: { from: 'a' } }]) {
      expect(junk.accept('a', body)).toBeNull();
    }
  });
});
