/**
 * Linearizable reads without writing to the log: the ReadIndex protocol of thesis §6.4. The leader
 * records its commit index, confirms with a round of heartbeats that a quorum still follows it,
 * and only then hands the host a `ReadState`; the host serves the read once it has applied that
 * index.
 */
import { MemoryStorage } from '../../src/raft/memory-storage';
import { DEFAULT_RAFT_CONFIG, RaftNode } from '../../src/raft/raft';
import type { Message, NodeId, ReadState } from '../../src/raft/types';
import { Harness, enc } from './harness';

// ---------------------------------------------------------------- local helpers

const readsOf = (h: Harness, id: NodeId): ReadState[] => h.readStates.get(id) ?? [];

/** Heartbeats that carry a ReadIndex round, among `msgs`. */
const readBeats = (msgs: readonly Message[]): Message[] =>
  msgs.filter((m) => m.type === 'heartbeat' && m.context !== undefined);

/** Delivers `msgs` one by one, then returns what the cluster put on the wire in response. */
function deliverAll(h: Harness, msgs: readonly Message[]): Message[] {
  for (const m of msgs) h.deliver(m);
  return h.intercept();
}

function readOk(h: Harness, id: NodeId, context: string): void {
  const r = h.node(id).readIndex(context);
  if (!r.ok) throw new Error(`read on ${id} refused: ${r.reason}`);
}

// ---------------------------------------------------------------- tests

describe('thesis §6.4 ReadIndex on the leader', () => {
  it('thesis §6.4 steps 1-3: answers with the commit index only after a quorum has answered the heartbeat that carries it', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x'); // commit index 3
    expect(h.node('a').hardState().commit).toBe(3);

    readOk(h, 'a', 'r1');
    const out = h.intercept();
    const beats = readBeats(out);
    expect(beats.map((m) => m.to).sort()).toEqual(['b', 'c']);
    // The leader alone is not a quorum.
    expect(readsOf(h, 'a')).toEqual([]);

    // b answers: with the leader itself that is 2 of 3.
    const resp = deliverAll(
      h,
      beats.filter((m) => m.to === 'b'),
    );
    const acks = resp.filter((m) => m.type === 'heartbeat-resp' && m.from === 'b');
    expect(acks).toHaveLength(1);
    expect(acks[0]!.context).toBe(beats[0]!.context);
    expect(readsOf(h, 'a')).toEqual([]); // the answer has not reached the leader yet
    deliverAll(h, resp);
    expect(readsOf(h, 'a')).toEqual([{ index: 3, context: 'r1' }]);

    // c's late answer confirms nothing twice.
    deliverAll(
      h,
      beats.filter((m) => m.to === 'c'),
    );
    h.stabilize();
    expect(readsOf(h, 'a')).toEqual([{ index: 3, context: 'r1' }]);
  });

  it('thesis §6.4 step 1: answers with the commit index at the time of the request, not a later one', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x'); // 3
    readOk(h, 'a', 'r1');
    const held = readBeats(h.intercept());
    expect(held).toHaveLength(2);
    h.propose('a', 'y'); // 4 commits before the read is confirmed
    expect(h.node('a').hardState().commit).toBe(4);
    deliverAll(h, deliverAll(h, held));
    h.stabilize();
    expect(readsOf(h, 'a')).toEqual([{ index: 3, context: 'r1' }]);
  });

  it('thesis §6.4 step 3: in a five-node cluster, one follower answering (even twice) is not a quorum; two are', () => {
    const h = new Harness(['a', 'b', 'c', 'd', 'e']);
    h.elect('a');
    readOk(h, 'a', 'r');
    const beats = readBeats(h.intercept());
    expect(beats).toHaveLength(4);
    const fromB = deliverAll(
      h,
      beats.filter((m) => m.to === 'b'),
    );
    deliverAll(h, [...fromB, ...fromB]);
    expect(readsOf(h, 'a')).toEqual([]);
    const fromC = deliverAll(
      h,
      beats.filter((m) => m.to === 'c'),
    );
    deliverAll(h, fromC);
    expect(readsOf(h, 'a')).toEqual([{ index: 2, context: 'r' }]);
  });

  it('thesis §6.4 step 3: with the heartbeats to both followers dropped, no ReadState appears', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x');
    h.setFilter((m) => m.type !== 'heartbeat');
    const mark = h.sent.length;
    readOk(h, 'a', 'r1');
    h.stabilize();
    h.tick('a', 3);
    expect(readBeats(h.sent.slice(mark)).length).toBeGreaterThanOrEqual(2); // sent, then lost
    expect(h.node('a').role).toBe('leader');
    expect(readsOf(h, 'a')).toEqual([]);
  });

  it('thesis §6.4: a leader cut off from the majority never answers, while a new leader takes writes', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x');
    h.isolate('a');
    readOk(h, 'a', 'stale-read');
    h.tickAll(40);
    const leader = h.leaders()[0];
    expect(leader === 'b' || leader === 'c').toBe(true);
    h.propose(leader!, 'y');
    expect(h.node('a').role).not.toBe('leader');
    expect(readsOf(h, 'a')).toEqual([]);
    h.heal();
    h.tickAll(3);
    expect(readsOf(h, 'a')).toEqual([]);
  });

  it('thesis §6.4 step 1: a read issued before the new leader has committed an entry of its term waits until it has', () => {
    const h = new Harness(['a', 'b', 'c'], { checkQuorum: false });
    h.elect('a');
    // x commits on a and b, but c never hears that it did.
    h.setFilter((m) => !(m.type === 'app' && m.to === 'c' && (m.entries?.length ?? 0) === 0));
    h.propose('a', 'x'); // 3
    h.setFilter(null);
    expect(h.node('c').log.lastIndex()).toBe(3);
    expect(h.node('c').hardState().commit).toBe(2);

    // c becomes leader; its no-op is kept from the followers for now.
    h.crash('a');
    h.setFilter((m) => m.type !== 'app');
    h.elect('c');
    const c = h.node('c');
    expect(c.role).toBe('leader');
    expect(c.hardState().commit).toBe(2); // it does not know that x (3) is committed

    const mark = h.sent.length;
    expect(c.readIndex('r').ok).toBe(true);
    h.stabilize();
    // Answering at 2 would miss the committed write x: the read must wait.
    expect(readsOf(h, 'c')).toEqual([]);
    expect(readBeats(h.sent.slice(mark))).toEqual([]);

    h.setFilter(null);
    h.tick('c'); // the heartbeat's answer makes c resend its no-op; it commits; the read proceeds
    expect(c.hardState().commit).toBe(4);
    expect(readsOf(h, 'c')).toEqual([{ index: 4, context: 'r' }]);
    expect(h.appliedData('c')).toEqual(['x']);
    expect(h.applied.get('c')!.at(-1)?.index).toBe(4);
  });

  it('thesis §6.4: several reads are confirmed in the order they were issued', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x'); // 3
    readOk(h, 'a', 'r1');
    h.stabilize();
    h.propose('a', 'y'); // 4
    readOk(h, 'a', 'r2');
    readOk(h, 'a', 'r3');
    h.stabilize();
    expect(readsOf(h, 'a')).toEqual([
      { index: 3, context: 'r1' },
      { index: 4, context: 'r2' },
      { index: 4, context: 'r3' },
    ]);
  });

  it('thesis §6.4: a quorum for a later read also confirms the earlier pending ones, in order', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    readOk(h, 'a', 'r1');
    const first = readBeats(h.intercept());
    h.propose('a', 'x'); // 3
    readOk(h, 'a', 'r2');
    const second = readBeats(h.intercept());
    expect(first).toHaveLength(2);
    expect(second).toHaveLength(2);
    // Only the second round is answered: leadership was confirmed after both reads arrived.
    deliverAll(h, deliverAll(h, second));
    expect(readsOf(h, 'a')).toEqual([
      { index: 2, context: 'r1' },
      { index: 3, context: 'r2' },
    ]);
    // Late answers to the first round add nothing.
    deliverAll(h, deliverAll(h, first));
    h.stabilize();
    expect(readsOf(h, 'a')).toHaveLength(2);
  });

  it('thesis §6.4 step 3: a replayed answer from an earlier round does not confirm a later read with the same context', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    readOk(h, 'a', 'r');
    h.stabilize();
    expect(readsOf(h, 'a')).toHaveLength(1);
    const oldAnswers = h.sent.filter((m) => m.type === 'heartbeat-resp' && m.context !== undefined);
    expect(oldAnswers.length).toBeGreaterThanOrEqual(1);

    h.setFilter((m) => m.type !== 'heartbeat');
    readOk(h, 'a', 'r');
    h.stabilize();
    deliverAll(h, oldAnswers);
    h.stabilize();
    expect(readsOf(h, 'a')).toHaveLength(1);
  });

  it('thesis §6.4, §6.2: a follower refuses a read with reason not-leader and names the leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const mark = h.sent.length;
    expect(h.node('b').readIndex('r')).toEqual({ ok: false, reason: 'not-leader', leader: 'a' });
    h.stabilize();
    expect(h.sent.slice(mark)).toEqual([]);
    expect(readsOf(h, 'b')).toEqual([]);
  });

  it('thesis §6.4, §6.2: a node with no known leader refuses a read with reason not-leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    expect(h.node('a').readIndex('r')).toEqual({ ok: false, reason: 'not-leader', leader: null });
    h.isolate('a');
    h.node('a').campaign(); // pre-candidate, cut off
    expect(h.node('a').role).toBe('pre-candidate');
    expect(h.node('a').readIndex('r')).toMatchObject({ ok: false, reason: 'not-leader' });
  });
});

describe('thesis §6.4 ReadIndex with a single voter', () => {
  it('thesis §6.4: answers at once, without sending anything', () => {
    const h = new Harness(['a']);
    h.elect('a');
    expect(h.node('a').hardState().commit).toBe(2);
    const mark = h.sent.length;
    readOk(h, 'a', 'r');
    h.stabilize();
    expect(readsOf(h, 'a')).toEqual([{ index: 2, context: 'r' }]);
    expect(h.sent.slice(mark)).toEqual([]);
  });

  it('thesis §6.4 step 1, §10.2.1: a lone leader answers in the Ready after its no-op is durable and committed', () => {
    const boot = RaftNode.bootstrap(['solo']);
    const node = new RaftNode({ ...DEFAULT_RAFT_CONFIG, id: 'solo', random: () => 0 }, boot);
    const storage = new MemoryStorage(boot);
    node.campaign();
    expect(node.role).toBe('leader');
    expect(node.readIndex('r').ok).toBe(true);
    let rd = node.ready();
    expect(rd.readStates).toEqual([]); // commit index is still 1, of term 1
    storage.persist(rd);
    node.advance();
    rd = node.ready();
    expect(rd.readStates).toEqual([{ index: 2, context: 'r' }]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    storage.persist(rd);
    node.advance();

    node.propose(enc('x'));
    expect(node.readIndex('r2').ok).toBe(true);
    rd = node.ready();
    // The read does not wait for x: it was not committed when the read arrived.
    expect(rd.readStates).toEqual([{ index: 2, context: 'r2' }]);
    storage.persist(rd);
    node.advance();
  });
});

describe('thesis §6.4 a lost confirmation round', () => {
  it('a read whose heartbeat round is lost is confirmed by later heartbeats', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x');
    h.setFilter((m) => !(m.type === 'heartbeat' && m.context !== undefined));
    expect(h.node('a').readIndex('r1').ok).toBe(true);
    h.stabilize();
    h.setFilter(null);
    h.tickAll(50);
    expect(h.node('a').role).toBe('leader');
    expect(h.readStates.get('a') ?? []).toEqual([{ index: 3, context: 'r1' }]);
  });
});
