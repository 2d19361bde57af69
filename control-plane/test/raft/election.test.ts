import { Harness } from './harness';

describe('§5.2 leader election', () => {
  it('elects one leader by timeout, and followers learn it', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.tickAll(30);
    expect(h.leaders()).toHaveLength(1);
    const leader = h.leaders()[0]!;
    for (const n of h.nodes.values()) expect(n.leader).toBe(leader);
    expect(h.node(leader).term).toBe(2);
  });

  it('a candidate with a shorter log loses (§5.4.1 election restriction)', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    h.propose('a', 'x');
    h.heal();
    h.node('c').campaign();
    h.stabilize();
    expect(h.node('c').role).not.toBe('leader');
    expect(h.leaders()).toEqual(['a']);
  });

  it('randomizes the election timeout in [T, 2T) from the injected RNG', () => {
    const h = new Harness(['a'], { electionTicks: 10 });
    // A single voter campaigns after its randomized timeout, never before T ticks.
    for (let i = 0; i < 9; i++) h.tick('a');
    expect(h.node('a').role).toBe('follower');
    h.tick('a', 11);
    expect(h.node('a').role).toBe('leader');
  });

  it('a voter grants one vote per term (§5.2)', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false });
    h.cutLink('a', 'c');
    h.cutLink('b', 'c');
    h.node('a').campaign();
    h.node('b').campaign();
    h.stabilize();
    // Both campaigned in term 2; c heard neither; a and b voted for themselves.
    expect(h.leaders()).toHaveLength(0);
    const votesByC = h.sent.filter((m) => m.from === 'c' && m.type === 'vote-resp' && !m.reject);
    expect(votesByC).toHaveLength(0);
  });
});

describe('thesis §9.6 PreVote', () => {
  it('an isolated node does not raise its term, and rejoins without disruption', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const term = h.node('a').term;
    h.isolate('c');
    h.tickAll(100);
    expect(h.node('c').term).toBe(term);
    h.heal();
    h.tickAll(5);
    expect(h.leaders()).toEqual(['a']);
    expect(h.node('a').term).toBe(term);
  });

  it('without PreVote the isolated node inflates its term', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.elect('a');
    const term = h.node('a').term;
    h.isolate('c');
    h.tickAll(100);
    expect(h.node('c').term).toBeGreaterThan(term);
  });
});

describe('thesis §6.2 CheckQuorum', () => {
  it('a leader that cannot hear a quorum steps down within an election timeout', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('a');
    h.tick('a', 21);
    expect(h.node('a').role).toBe('follower');
  });

  it('followers that hear a live leader ignore vote requests (leader lease)', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false });
    h.elect('a');
    h.propose('a', 'x');
    const term = h.node('a').term;
    // c campaigns directly at a higher term; a and b heard a leader recently and ignore it.
    h.node('c').campaign();
    h.stabilize();
    expect(h.node('b').term).toBe(term);
    expect(h.node('a').role).toBe('leader');
  });
});
