/**
 * Leadership transfer, thesis §3.10: the leader stops taking proposals, brings the target's log up
 * to date, and sends it TimeoutNow; the target campaigns at once, and its vote request (context
 * 'transfer') is granted even by followers that heard from the leader within the lease (§4.2.3).
 * A transfer that does not complete within an election timeout is abandoned.
 */
import type { Message, NodeId } from '../../src/raft/types';
import { Harness, enc } from './harness';

// ---------------------------------------------------------------- local helpers

const timeoutNows = (msgs: readonly Message[], to?: NodeId): Message[] =>
  msgs.filter((m) => m.type === 'timeout-now' && (to === undefined || m.to === to));

function transferOk(h: Harness, from: NodeId, to: NodeId): void {
  const r = h.node(from).transferLeadership(to);
  if (!r.ok) throw new Error(`transfer ${from} -> ${to} refused: ${r.reason}`);
}

// ---------------------------------------------------------------- tests

describe('thesis §3.10 leadership transfer', () => {
  it('thesis §3.10, §4.2.3: to an up-to-date follower: TimeoutNow, and it becomes leader at once, inside the lease', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x');
    const term = h.node('a').term;
    expect(h.node('b').log.lastIndex()).toBe(h.node('a').log.lastIndex());

    const mark = h.sent.length;
    transferOk(h, 'a', 'b');
    h.stabilize(); // no tick: no election timeout elapses anywhere
    const after = h.sent.slice(mark);

    expect(timeoutNows(after).map((m) => [m.from, m.to])).toEqual([['a', 'b']]);
    const votes = after.filter((m) => m.type === 'vote' && m.from === 'b');
    expect(votes.map((m) => m.to).sort()).toEqual(['a', 'c']);
    for (const v of votes) {
      expect(v.context).toBe('transfer');
      expect(v.term).toBe(term + 1);
    }
    // Both a and c heard from the leader within the lease, and still grant the transfer vote.
    const granted = after.filter((m) => m.type === 'vote-resp' && m.to === 'b' && !m.reject);
    expect(granted.map((m) => m.from).sort()).toEqual(['a', 'c']);

    expect(h.leaders()).toEqual(['b']);
    expect(h.node('b').term).toBe(term + 1);
    for (const id of ['a', 'b', 'c']) {
      expect(h.node(id).leader).toBe('b');
      expect(h.node(id).term).toBe(term + 1);
    }
    expect(h.node('a').role).toBe('follower');
    expect(h.node('a').isTransferring()).toBe(false);

    h.propose('b', 'y');
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['x', 'y']);
  });

  it('thesis §4.2.3: control: the same campaign without TimeoutNow is ignored inside the lease', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false });
    h.elect('a');
    h.propose('a', 'x');
    const term = h.node('a').term;
    h.node('b').campaign();
    h.stabilize();
    expect(h.node('b').role).not.toBe('leader');
    expect(h.node('a').role).toBe('leader');
    expect(h.node('c').term).toBe(term);
  });

  it('thesis §3.10 step 2: to a lagging follower: it is caught up first, then sent TimeoutNow', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    for (let i = 1; i <= 5; i++) h.propose('a', `x${i}`);
    h.heal();
    const last = h.node('a').log.lastIndex();
    expect(h.node('c').log.lastIndex()).toBeLessThan(last);
    const term = h.node('a').term;

    const mark = h.sent.length;
    transferOk(h, 'a', 'c');
    // Not caught up: the leader's first move is an append, not TimeoutNow.
    const first = h.intercept();
    expect(timeoutNows(first)).toEqual([]);
    expect(first.some((m) => m.type === 'app' && m.to === 'c')).toBe(true);
    for (const m of first) h.deliver(m);
    h.stabilize(); // no tick: the catch-up itself leads to TimeoutNow
    const after = h.sent.slice(mark);

    const tn = after.findIndex((m) => m.type === 'timeout-now' && m.to === 'c');
    const caughtUp = after.findIndex(
      (m) => m.type === 'app-resp' && m.from === 'c' && !m.reject && m.index === last,
    );
    expect(caughtUp).toBeGreaterThanOrEqual(0);
    expect(tn).toBeGreaterThan(caughtUp);

    expect(h.leaders()).toEqual(['c']);
    expect(h.node('c').term).toBe(term + 1);
    expect(h.node('a').leader).toBe('c');
    h.propose('c', 'y');
    for (const id of ['a', 'b', 'c']) {
      expect(h.appliedData(id)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'y']);
    }
  });

  it('thesis §3.10 step 1: refuses proposals with reason transferring while the transfer is pending', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    h.propose('a', 'x');
    transferOk(h, 'a', 'c'); // c lags and is unreachable: the transfer stays pending
    h.stabilize();
    const a = h.node('a');
    expect(a.isTransferring()).toBe(true);
    expect(a.role).toBe('leader');
    const last = a.log.lastIndex();
    expect(a.propose(enc('y'))).toEqual({ ok: false, reason: 'transferring', leader: 'a' });
    expect(a.proposeConfChange({ type: 'add-learner', node: 'd' })).toMatchObject({
      ok: false,
      reason: 'transferring',
    });
    expect(a.log.lastIndex()).toBe(last); // nothing was appended
    h.stabilize();
    expect(h.appliedData('b')).toEqual(['x']);
  });

  it.each([
    ['up to date, TimeoutNow lost', false],
    ['lagging, never caught up', true],
  ])(
    'thesis §3.10: a transfer to an unreachable node (%s) is abandoned after an election timeout',
    (_name, lagging) => {
      const h = new Harness(['a', 'b', 'c'], { electionTicks: 10 });
      h.elect('a');
      if (lagging) h.isolate('c');
      h.propose('a', 'x');
      h.isolate('c');
      const a = h.node('a');
      const term = a.term;

      transferOk(h, 'a', 'c');
      h.tick('a', 9);
      expect(a.isTransferring()).toBe(true);
      expect(a.propose(enc('y'))).toMatchObject({ ok: false, reason: 'transferring' });

      h.tick('a', 1); // a full election timeout since the transfer began
      expect(a.isTransferring()).toBe(false);
      expect(a.role).toBe('leader');
      expect(a.term).toBe(term);
      expect(h.propose('a', 'y')).toBeGreaterThan(0);
      expect(h.appliedData('b')).toEqual(['x', 'y']);
      expect(h.leaders()).toEqual(['a']);
      expect(h.node('c').role).toBe('follower');
    },
  );

  it('thesis §3.10: a repeated request for the pending transfer does not postpone its abandonment', () => {
    // The host retries the same transfer (say, a client re-sent its request). It is the same
    // transfer: it must still be abandoned one election timeout after it began.
    const h = new Harness(['a', 'b', 'c'], { electionTicks: 10 });
    h.elect('a');
    h.isolate('c');
    const a = h.node('a');
    transferOk(h, 'a', 'c');
    h.tick('a', 6);
    transferOk(h, 'a', 'c');
    h.tick('a', 4); // 10 ticks since the transfer began
    expect(a.isTransferring()).toBe(false);
    expect(a.propose(enc('y')).ok).toBe(true);
  });

  it('thesis §3.10, §6.2: a leader cut off from the quorum steps down even while its host keeps requesting a transfer', () => {
    const h = new Harness(['a', 'b', 'c'], { electionTicks: 10 });
    h.elect('a');
    h.isolate('a');
    for (let i = 0; i < 8; i++) {
      h.node('a').transferLeadership('b'); // never reaches b
      h.tickAll(5);
    }
    // 40 ticks, four election timeouts, without hearing from anyone.
    expect(h.node('a').role).not.toBe('leader');
    expect(h.leaders()).toHaveLength(1);
  });

  it('thesis §3.10: a follower refuses to transfer with reason not-leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    expect(h.node('b').transferLeadership('c')).toEqual({
      ok: false,
      reason: 'not-leader',
      leader: 'a',
    });
    h.stabilize();
    expect(h.leaders()).toEqual(['a']);
  });

  it('thesis §3.10: a transfer to the leader itself changes nothing', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const term = h.node('a').term;
    const mark = h.sent.length;
    expect(h.node('a').transferLeadership('a').ok).toBe(true);
    expect(h.node('a').isTransferring()).toBe(false);
    h.stabilize();
    expect(timeoutNows(h.sent.slice(mark))).toEqual([]);
    expect(h.leaders()).toEqual(['a']);
    expect(h.node('a').term).toBe(term);
    h.propose('a', 'x');
    expect(h.appliedData('c')).toEqual(['x']);
  });

  it('thesis §3.10, §4.2.1: a transfer to a learner or to a non-member is refused, and the leader carries on', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.addEmpty('d');
    const a = h.node('a');
    expect(a.proposeConfChange({ type: 'add-learner', node: 'd' }).ok).toBe(true);
    h.stabilize();
    expect(a.conf.learners).toEqual(['d']);
    expect(h.node('d').log.lastIndex()).toBe(a.log.lastIndex()); // d is a caught-up learner

    const mark = h.sent.length;
    for (const target of ['d', 'z']) {
      const r = a.transferLeadership(target);
      expect(r).toMatchObject({ ok: false, reason: 'invalid-conf-change', leader: 'a' });
      expect(a.isTransferring()).toBe(false);
    }
    h.stabilize();
    expect(timeoutNows(h.sent.slice(mark))).toEqual([]);
    expect(h.leaders()).toEqual(['a']);
    expect(h.node('d').role).toBe('follower');
    h.propose('a', 'x');
    for (const id of ['a', 'b', 'c', 'd']) expect(h.appliedData(id)).toEqual(['x']);
  });
});
