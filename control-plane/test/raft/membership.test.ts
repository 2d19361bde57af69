/**
 * Membership changes, one server at a time (thesis §4.1), learners (thesis §4.2.1), removing the
 * leader (thesis §4.2.2), and the own-term rule that fixes the single-server change bug (Ongaro,
 * raft-dev 2015). A `conf` entry carries the whole new membership and takes effect when appended.
 */
import type { ConfChange } from '../../src/raft/membership';
import type { ProposeResult } from '../../src/raft/raft';
import type { ConfState, NodeId } from '../../src/raft/types';
import { Harness, enc, proposeOk, tickUntilLeader } from './harness';

// ---------------------------------------------------------------- local helpers

/** Proposes a membership change on `leader`, expects it accepted, and lets the cluster settle. */
function change(h: Harness, leader: NodeId, cc: ConfChange): number {
  const r = h.node(leader).proposeConfChange(cc);
  if (!r.ok) throw new Error(`conf change refused: ${r.reason} ${r.detail ?? ''}`);
  h.stabilize();
  return r.index;
}

const conf = (voters: NodeId[], learners: NodeId[] = []): ConfState => ({ voters, learners });

const refusal = (r: ProposeResult): string | null => (r.ok ? null : r.reason);

const campaignMessages = (h: Harness, from: NodeId, since = 0) =>
  h.sent
    .slice(since)
    .filter((m) => m.from === from && (m.type === 'vote' || m.type === 'pre-vote'));

// ---------------------------------------------------------------- learners

describe('thesis §4.2.1 learners (non-voting members)', () => {
  it('thesis §4.2.1: a learner added from empty storage receives the whole log and applies it', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    h.propose('a', 'x2');
    const d = h.addEmpty('d');
    expect(d.conf).toEqual(conf([]));
    const at = change(h, 'a', { type: 'add-learner', node: 'd' });
    h.propose('a', 'x3');

    for (const id of ['a', 'b', 'c', 'd']) {
      expect(h.node(id).conf).toEqual(conf(['a', 'b', 'c'], ['d']));
    }
    expect(h.appliedData('d')).toEqual(['x1', 'x2', 'x3']);
    expect(d.log.lastIndex()).toBe(h.node('a').log.lastIndex());
    expect(d.log.committed).toBe(h.node('a').log.committed);
    expect(d.log.term(at)).toBe(h.node('a').term);
    // The learner's whole log, from the bootstrap entry on, matches the leader's.
    const a = h.node('a');
    for (let i = 1; i <= a.log.lastIndex(); i++) expect(d.log.term(i)).toBe(a.log.term(i));
    expect(a.progressOf('d')?.match).toBe(a.log.lastIndex());
  });

  it('thesis §4.2.1: a learner never campaigns, even when it hears no leader, and is never asked to vote', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.addEmpty('d');
    change(h, 'a', { type: 'add-learner', node: 'd' });
    const term = h.node('a').term;
    const mark = h.sent.length;

    h.isolate('d');
    h.tick('d', 100);
    h.node('d').campaign();
    h.stabilize();
    expect(h.node('d').role).toBe('follower');
    expect(h.node('d').term).toBe(term);
    expect(campaignMessages(h, 'd', mark)).toEqual([]);

    // The leader dies: the voters elect a new one; d neither campaigns nor is asked to vote.
    h.heal();
    h.crash('a');
    const leader = tickUntilLeader(h, ['b', 'c', 'd']);
    expect(['b', 'c']).toContain(leader);
    expect(campaignMessages(h, 'd', mark)).toEqual([]);
    expect(
      h.sent
        .slice(mark)
        .filter((m) => m.to === 'd' && (m.type === 'vote' || m.type === 'pre-vote')),
    ).toEqual([]);
    // It follows the new leader.
    h.propose(leader, 'after');
    expect(h.appliedData('d')).toEqual(['after']);
  });

  it('thesis §4.2.1: with 2 of 3 voters down nothing commits, although the learners acknowledge', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.addEmpty('d');
    h.addEmpty('e');
    change(h, 'a', { type: 'add-learner', node: 'd' });
    change(h, 'a', { type: 'add-learner', node: 'e' });
    const committed = h.node('a').log.committed;
    h.crash('b');
    h.crash('c');

    const idx = proposeOk(h, 'a', 'x');
    h.stabilize();
    const a = h.node('a');
    // Both learners hold the entry and told the leader so...
    for (const id of ['d', 'e']) {
      expect(h.node(id).log.lastIndex()).toBe(idx);
      expect(a.progressOf(id)?.match).toBe(idx);
    }
    // ...yet a, d and e (three of the five members) are not a majority of the voters {a, b, c}.
    expect(a.log.committed).toBe(committed);
    expect(h.node('d').log.committed).toBe(committed);
    expect(h.appliedData('a')).toEqual([]);
    expect(h.appliedData('d')).toEqual([]);

    // One voter back is a majority: the entry commits and the learners apply it.
    h.restart('b');
    h.tick('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(idx);
    expect(h.appliedData('d')).toEqual(['x']);
    expect(h.appliedData('e')).toEqual(['x']);
  });
});

// ---------------------------------------------------------------- adding voters

describe('thesis §4.1 adding voters', () => {
  it('thesis §4.2.1, §4.1: a learner promoted with add-voter counts towards commitment', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.addEmpty('d');
    change(h, 'a', { type: 'add-learner', node: 'd' });
    h.propose('a', 'x1');
    change(h, 'a', { type: 'add-voter', node: 'd' });
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(h.node(id).conf).toEqual(conf(['a', 'b', 'c', 'd']));
    }

    // Four voters: a quorum is three. With c down and d silenced, a + b cannot commit.
    h.crash('c');
    h.setFilter((m) => m.from !== 'd');
    const idx = proposeOk(h, 'a', 'x2');
    h.stabilize();
    const a = h.node('a');
    expect(h.node('b').log.lastIndex()).toBe(idx);
    expect(a.log.committed).toBeLessThan(idx);

    // d's acknowledgement is what commits it.
    h.setFilter(null);
    h.tick('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(idx);
    expect(h.appliedData('d')).toEqual(['x1', 'x2']);
    expect(h.appliedData('b')).toEqual(['x1', 'x2']);

    // Being a voter, d now campaigns when it stops hearing a leader.
    const mark = h.sent.length;
    h.isolate('d');
    h.tick('d', 40);
    expect(campaignMessages(h, 'd', mark).length).toBeGreaterThan(0);
  });

  it('thesis §4.1: a voter added directly from empty storage catches up and enlarges the quorum', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    h.addEmpty('d');
    const at = change(h, 'a', { type: 'add-voter', node: 'd' });
    const a = h.node('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(at);
    h.propose('a', 'x2');
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(h.node(id).conf).toEqual(conf(['a', 'b', 'c', 'd']));
      expect(h.appliedData(id)).toEqual(['x1', 'x2']);
    }

    // Quorum of four is three: a + d alone commit nothing...
    h.crash('b');
    h.crash('c');
    const idx = proposeOk(h, 'a', 'x3');
    h.stabilize();
    expect(h.node('d').log.lastIndex()).toBe(idx);
    expect(a.log.committed).toBeLessThan(idx);
    // ...a + b + d do.
    h.restart('b');
    h.tick('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(idx);
    expect(h.appliedData('d')).toEqual(['x1', 'x2', 'x3']);
  });
});

// ---------------------------------------------------------------- removing a follower

describe('thesis §4.1 removing a follower', () => {
  it('thesis §4.1: removing a follower shrinks the quorum, and the leader stops replicating to it', () => {
    const h = new Harness(['a', 'b', 'c', 'd']);
    h.elect('a');
    h.propose('a', 'x1');
    const at = change(h, 'a', { type: 'remove', node: 'd' });
    const a = h.node('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(at);
    for (const id of ['a', 'b', 'c']) expect(h.node(id).conf).toEqual(conf(['a', 'b', 'c']));

    const mark = h.sent.length;
    h.tick('a', 3);
    expect(h.sent.slice(mark).filter((m) => m.from === 'a' && m.to === 'd')).toEqual([]);
    expect(a.progressOf('d')).toBeUndefined();

    // Two of the four original servers are gone, yet a and b are a majority of {a, b, c}.
    h.crash('c');
    h.crash('d');
    const idx = proposeOk(h, 'a', 'x2');
    h.stabilize();
    expect(a.log.committed).toBeGreaterThanOrEqual(idx);
    expect(h.appliedData('b')).toEqual(['x1', 'x2']);
  });

  it('thesis §4.2.3: a removed server that is never told cannot disrupt the remaining cluster', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    const at = change(h, 'a', { type: 'remove', node: 'c' });
    const a = h.node('a');
    const term = a.term;
    expect(a.log.committed).toBeGreaterThanOrEqual(at);
    expect(a.conf).toEqual(conf(['a', 'b']));
    // The leader stops replicating to c as soon as the entry is appended, so c may never learn.
    expect(h.node('c').log.lastIndex()).toBeLessThan(at);
    expect(h.node('c').conf).toEqual(conf(['a', 'b', 'c']));

    // c hears no heartbeats, times out and campaigns; a and b hear their leader and ignore it.
    const mark = h.sent.length;
    for (let i = 0; i < 100; i++) {
      h.tickAll();
      if (i % 10 === 0) h.propose('a', `y${i}`);
    }
    expect(campaignMessages(h, 'c', mark).length).toBeGreaterThan(0);
    expect(h.leaders()).toEqual(['a']);
    expect(a.term).toBe(term);
    expect(h.node('b').term).toBe(term);
    expect(h.appliedData('b')).toEqual(h.appliedData('a'));
  });
});

// ---------------------------------------------------------------- one change at a time

describe('thesis §4.1 one change at a time', () => {
  it('thesis §4.1: a second change is refused while the first is uncommitted, and accepted after', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.addEmpty('d');
    h.addEmpty('e');
    const a = h.node('a');

    // The first change's entry is stuck at the leader (a is cut off).
    h.isolate('a');
    const r1 = a.proposeConfChange({ type: 'add-learner', node: 'd' });
    expect(r1.ok).toBe(true);
    const r2 = a.proposeConfChange({ type: 'add-learner', node: 'e' });
    expect(refusal(r2)).toBe('conf-change-pending');
    h.stabilize();
    expect(refusal(a.proposeConfChange({ type: 'remove', node: 'c' }))).toBe('conf-change-pending');
    // Nothing but the first change was appended.
    expect(a.conf).toEqual(conf(['a', 'b', 'c'], ['d']));

    h.heal();
    h.tick('a');
    expect(r1.ok && a.log.committed >= r1.index).toBe(true);
    const r3 = a.proposeConfChange({ type: 'add-learner', node: 'e' });
    expect(r3.ok).toBe(true);
    h.stabilize();
    expect(h.node('b').conf).toEqual(conf(['a', 'b', 'c'], ['d', 'e']));
  });
});

// ---------------------------------------------------------------- own-term rule

describe('raft-dev 2015 single-server change bug: the own-term rule', () => {
  it('raft-dev 2015: a fresh leader refuses a change (no-commit-in-term) until its no-op commits', () => {
    const h = new Harness(['a', 'b', 'c']);
    // The new leader's no-op does not reach anyone.
    h.setFilter((m) => !(m.from === 'a' && m.type === 'app'));
    h.elect('a');
    const a = h.node('a');
    expect(a.role).toBe('leader');
    expect(a.log.term(a.log.committed)).not.toBe(a.term);
    const r = a.proposeConfChange({ type: 'add-learner', node: 'd' });
    expect(refusal(r)).toBe('no-commit-in-term');
    expect(a.conf).toEqual(conf(['a', 'b', 'c']));
    // Ordinary proposals are not subject to the rule.
    expect(a.propose(enc('x')).ok).toBe(true);

    h.setFilter(null);
    h.tick('a');
    expect(a.log.term(a.log.committed)).toBe(a.term);
    expect(a.proposeConfChange({ type: 'add-learner', node: 'd' }).ok).toBe(true);
  });
});

// ---------------------------------------------------------------- removing the leader

describe('thesis §4.2.2 removing the leader', () => {
  it('thesis §4.2.2: a removed leader leads, without counting itself, until the removal commits, then steps down', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    const a = h.node('a');
    const term = a.term;

    // c hears nothing for now.
    h.setFilter((m) => m.to !== 'c');
    const r = a.proposeConfChange({ type: 'remove', node: 'a' });
    if (!r.ok) throw new Error(r.reason);
    expect(a.conf).toEqual(conf(['b', 'c']));
    h.stabilize();
    // a and b hold the entry, which would be a majority of {a, b, c}; but a is not in {b, c}.
    expect(h.node('b').log.lastIndex()).toBe(r.index);
    expect(a.log.committed).toBeLessThan(r.index);
    expect(a.role).toBe('leader');
    // Still leading: it replicates (normal entries too) and keeps its term.
    const x2 = proposeOk(h, 'a', 'x2');
    h.stabilize();
    expect(h.node('b').log.lastIndex()).toBe(x2);

    h.setFilter(null);
    h.tick('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(x2);
    expect(a.role).toBe('follower');
    expect(a.term).toBe(term);
    expect(h.appliedData('c')).toEqual(['x1', 'x2']);

    // The remaining voters elect a leader among themselves; a never campaigns.
    const mark = h.sent.length;
    const leader = tickUntilLeader(h, ['a', 'b', 'c']);
    expect(['b', 'c']).toContain(leader);
    expect(campaignMessages(h, 'a', mark)).toEqual([]);
    expect(h.leaders()).toEqual([leader]);
    h.propose(leader, 'x3');
    const other = leader === 'b' ? 'c' : 'b';
    expect(h.appliedData(other)).toEqual(['x1', 'x2', 'x3']);
    expect(h.appliedData('a')).toEqual(['x1', 'x2']);
  });
});

describe('thesis §4.2.2, §4.1 the smallest clusters', () => {
  it('thesis §4.2.2: the leader of a two-voter cluster removes itself; the remaining voter elects itself', () => {
    const h = new Harness(['a', 'b']);
    h.elect('a');
    h.propose('a', 'x1');
    const r = h.node('a').proposeConfChange({ type: 'remove', node: 'a' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    expect(h.node('a').role).toBe('follower');
    expect(h.node('b').log.committed).toBeGreaterThanOrEqual(r.index);
    expect(h.node('b').conf).toEqual(conf(['b']));
    const leader = tickUntilLeader(h, ['a', 'b']);
    expect(leader).toBe('b');
    h.propose('b', 'x2');
    expect(h.node('b').log.committed).toBe(h.node('b').log.lastIndex());
    expect(h.appliedData('b')).toEqual(['x1', 'x2']);
  });

  it('thesis §4.1: a single voter grows to two; the new voter must acknowledge before anything commits', () => {
    const h = new Harness(['a']);
    h.elect('a');
    h.propose('a', 'x1');
    h.addEmpty('b');
    h.setFilter((m) => m.from !== 'b');
    const a = h.node('a');
    const r = a.proposeConfChange({ type: 'add-voter', node: 'b' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    // In effect at once: a alone is no longer a majority of {a, b}.
    expect(a.conf).toEqual(conf(['a', 'b']));
    expect(a.log.committed).toBeLessThan(r.index);
    h.setFilter(null);
    h.tick('a');
    expect(a.log.committed).toBeGreaterThanOrEqual(r.index);
    h.propose('a', 'x2');
    expect(h.appliedData('b')).toEqual(['x1', 'x2']);
    expect(h.node('b').conf).toEqual(conf(['a', 'b']));
  });
});

// ---------------------------------------------------------------- invalid changes

describe('thesis §4.1 invalid changes', () => {
  it('thesis §4.1: removing the last voter is refused (invalid-conf-change)', () => {
    const h = new Harness(['a']);
    h.elect('a');
    const a = h.node('a');
    expect(a.role).toBe('leader');
    const r = a.proposeConfChange({ type: 'remove', node: 'a' });
    expect(refusal(r)).toBe('invalid-conf-change');
    expect(a.conf).toEqual(conf(['a']));
    expect(a.role).toBe('leader');
  });

  it('thesis §4.1: adding an existing voter, demoting a voter, re-adding a learner or removing a stranger is refused', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.addEmpty('d');
    change(h, 'a', { type: 'add-learner', node: 'd' });
    const a = h.node('a');
    const last = a.log.lastIndex();
    expect(refusal(a.proposeConfChange({ type: 'add-voter', node: 'b' }))).toBe(
      'invalid-conf-change',
    );
    expect(refusal(a.proposeConfChange({ type: 'add-voter', node: 'a' }))).toBe(
      'invalid-conf-change',
    );
    expect(refusal(a.proposeConfChange({ type: 'add-learner', node: 'c' }))).toBe(
      'invalid-conf-change',
    );
    expect(refusal(a.proposeConfChange({ type: 'add-learner', node: 'd' }))).toBe(
      'invalid-conf-change',
    );
    expect(refusal(a.proposeConfChange({ type: 'remove', node: 'z' }))).toBe('invalid-conf-change');
    // Nothing was appended, and a valid change still goes through.
    expect(a.log.lastIndex()).toBe(last);
    expect(a.proposeConfChange({ type: 'remove', node: 'd' }).ok).toBe(true);
  });

  it('thesis §4.1: a follower refuses a change with not-leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const r = h.node('b').proposeConfChange({ type: 'add-learner', node: 'd' });
    expect(r).toEqual({ ok: false, reason: 'not-leader', leader: 'a' });
  });
});

// ---------------------------------------------------------------- growing and shrinking

describe('thesis §4.1 growing and shrinking one server at a time', () => {
  it('thesis §4.1: grows 3 -> 5 -> 7 and shrinks back to 3, committing proposals throughout', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const a = h.node('a');
    const data: string[] = [];
    const write = (v: string): void => {
      const idx = proposeOk(h, 'a', v);
      h.stabilize();
      expect(a.log.committed).toBeGreaterThanOrEqual(idx);
      data.push(v);
    };
    write('v0');
    const voters = ['a', 'b', 'c'];
    for (const id of ['d', 'e', 'f', 'g']) {
      h.addEmpty(id);
      const at = change(h, 'a', { type: 'add-voter', node: id });
      expect(a.log.committed).toBeGreaterThanOrEqual(at);
      voters.push(id);
      write(`after-add-${id}`);
      for (const v of voters) {
        expect(h.node(v).conf).toEqual(conf([...voters].sort()));
        expect(h.appliedData(v)).toEqual(data);
      }
    }
    expect(a.conf.voters).toHaveLength(7);

    // Seven voters: any four commit. Three down is fine.
    h.crash('e');
    h.crash('f');
    h.crash('g');
    write('with-four-of-seven');
    for (const id of ['e', 'f', 'g']) h.restart(id);
    h.tick('a', 2);
    for (const v of voters) expect(h.appliedData(v)).toEqual(data);

    for (const id of ['g', 'f', 'e', 'd']) {
      const at = change(h, 'a', { type: 'remove', node: id });
      expect(a.log.committed).toBeGreaterThanOrEqual(at);
      voters.splice(voters.indexOf(id), 1);
      write(`after-remove-${id}`);
      for (const v of voters) {
        expect(h.node(v).conf).toEqual(conf([...voters].sort()));
        expect(h.appliedData(v)).toEqual(data);
      }
    }
    expect(a.conf).toEqual(conf(['a', 'b', 'c']));
    expect(h.leaders()).toEqual(['a']);
    // Back to three: a and b alone are a majority again.
    h.crash('c');
    write('two-of-three');
    expect(h.appliedData('b')).toEqual(data);
  });
});

// ---------------------------------------------------------------- truncation reverts

describe('thesis §4.1 a conf entry takes effect when appended and reverts when truncated', () => {
  it('thesis §4.1: a follower holding an uncommitted conf entry reverts when a new leader overwrites it', () => {
    const h = new Harness(['a', 'b', 'c', 'd', 'e'], { preVote: false, checkQuorum: false });
    h.elect('a');
    for (const id of ['c', 'd', 'e']) h.cutLink('a', id);
    const r = h.node('a').proposeConfChange({ type: 'add-learner', node: 'f' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    const b = h.node('b');
    // In effect on b as soon as appended, though uncommitted.
    expect(b.log.committed).toBeLessThan(r.index);
    expect(b.conf).toEqual(conf(['a', 'b', 'c', 'd', 'e'], ['f']));

    h.crash('a');
    h.heal();
    h.elect('c');
    expect(h.leaders()).toEqual(['c']);
    // c's no-op replaced b's conf entry at the same index: b is back to the old membership.
    expect(b.log.term(r.index)).toBe(h.node('c').term);
    expect(b.conf).toEqual(conf(['a', 'b', 'c', 'd', 'e']));
    expect(h.node('c').progressOf('f')).toBeUndefined();
  });

  it('thesis §4.1: a deposed leader whose conf entry is truncated reverts its membership', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.elect('a');
    h.isolate('a');
    const a = h.node('a');
    const r = a.proposeConfChange({ type: 'add-learner', node: 'd' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    expect(a.conf).toEqual(conf(['a', 'b', 'c'], ['d']));

    h.elect('b');
    expect(h.node('b').role).toBe('leader');
    h.propose('b', 'y');
    h.heal();
    h.tick('b');
    expect(a.role).toBe('follower');
    expect(a.log.term(r.index)).toBe(h.node('b').term);
    expect(a.conf).toEqual(conf(['a', 'b', 'c']));
    expect(h.appliedData('a')).toEqual(['y']);
  });
});
