/**
 * One deterministic simulated run: a Raft cluster on a faulty network (drops, delays, duplicates,
 * reordering, partitions both ways and one way), with crashes that lose unsynced writes, restarts,
 * membership churn among 3 to 7 voters, leadership transfers, snapshots, and clients running a
 * key-value register. Safety is checked after every event, linearizability at the end, and every
 * run finishes with a liveness phase: faults healed, a leader and converged replicas within a bound.
 */
import { MemoryStorage } from '../src/raft/memory-storage';
import type { ConfChange } from '../src/raft/membership';
import { RaftNode } from '../src/raft/raft';
import { seededRng } from '../src/raft/rng';
import type { Entry, Message, NodeId, ReadState } from '../src/raft/types';
import { EventQueue } from './event-queue';
import { SafetyChecker, Violation } from './invariants';
import { encodeCommand, decodeCommand, type KvApplyResult, type KvCommand } from './kv-store';
import { checkLinearizable, type KvOp, type Operation } from './linearizability';
import { SimNode } from './sim-node';

/** Virtual time units per tick; delays and timeouts below are in these units. */
const TICK = 10;
const ELECTION_TICKS = 10;
const CLIENT_TIMEOUT = 400;
const KEYS = ['k0', 'k1', 'k2'];
/**
 * Liveness needs broadcast time well below the election timeout (paper §5.6): once healed, the
 * network and disks return to normal speeds, an order of magnitude under the 100-unit timeout.
 */
const HEALED_DELAY = 5;
const HEALED_DISK = 3;

export interface SimOptions {
  seed: number;
  /** Length of the fault phase in virtual time units. */
  chaosTime?: number;
  /** Bound on the liveness phase: heal, then a leader and convergence within this time. */
  livenessBound?: number;
  trace?: boolean;
  /** Also trace every delivered message (verbose). */
  traceMessages?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violation?: string;
  trace: string[];
  stats: {
    voters: number;
    committed: number;
    operations: number;
    events: number;
    crashes: number;
    confChanges: number;
    snapshotsSent: number;
    maxTerm: number;
  };
}

type Event =
  | { kind: 'tick'; node: NodeId; incarnation: number }
  | { kind: 'deliver'; m: Message }
  | { kind: 'sync'; node: NodeId; incarnation: number }
  | { kind: 'client'; client: number }
  | { kind: 'client-timeout'; op: number }
  | { kind: 'request'; node: NodeId; op: number }
  | { kind: 'resume'; node: NodeId }
  | { kind: 'fault' }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'heal' };

interface Pending {
  op: Operation;
  node: NodeId;
  incarnation: number;
  readIndex?: number;
}

export function runSimulation(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}

class Simulation {
  private readonly rng;
  private readonly q = new EventQueue<Event>();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly checker = new SafetyChecker();
  private readonly trace: string[] = [];
  private readonly history: Operation[] = [];
  private readonly pending = new Map<number, Pending>(); // by operation id, once at a node
  private readonly operations = new Map<number, Operation>();
  private readonly finished = new Set<number>();
  /** Paused nodes (a stop-the-world pause, SIGSTOP): their events wait until this time. */
  private readonly pausedUntil = new Map<NodeId, number>();
  private readonly clientBusy: boolean[] = [];
  private readonly clientTarget: (NodeId | null)[] = [];
  private readonly cut = new Set<string>();
  private nextOp = 1;
  private nextNodeId: number;
  private events = 0;
  private crashes = 0;
  private confChanges = 0;
  private snapshotsSent = 0;
  private healed = false;
  private targetVoters: number;

  // Per-seed knobs, drawn from the seed so each schedule explores a different corner.
  private readonly dropRate: number;
  private readonly dupRate: number;
  private readonly maxDelay: number;
  private readonly maxDisk: number;
  private readonly longDelayRate: number;
  private readonly quickRestarts: boolean;
  private readonly compactEvery: number;
  private readonly faultEvery: number;
  private readonly initialVoters: number;
  private readonly chaosTime: number;
  private readonly livenessBound: number;

  constructor(private readonly opts: SimOptions) {
    this.rng = seededRng(opts.seed);
    const r = this.rng;
    this.initialVoters = [3, 3, 3, 5, 5, 7][r.int(6)]!;
    this.targetVoters = this.initialVoters;
    this.dropRate = r.next() < 0.2 ? 0 : r.next() * 0.15;
    this.dupRate = r.next() * 0.05;
    this.maxDelay = 1 + r.int(30);
    // Some messages are held for several election timeouts: stale appends and votes arrive late.
    this.longDelayRate = r.next() < 0.5 ? 0 : r.next() * 0.05;
    // A slow disk widens the window in which a crash loses acknowledged-in-memory state.
    this.maxDisk = 1 + r.int(r.next() < 0.3 ? 60 : 8);
    this.compactEvery = 5 + r.int(60);
    this.faultEvery = 20 + r.int(500);
    this.quickRestarts = r.next() < 0.5;
    this.chaosTime = opts.chaosTime ?? 10000;
    this.livenessBound = opts.livenessBound ?? 4000;
    this.nextNodeId = this.initialVoters + 1;
  }

  run(): SimResult {
    const ids = Array.from({ length: this.initialVoters }, (_, i) => `n${i + 1}`);
    for (const id of ids) this.startNode(id, new MemoryStorage(RaftNode.bootstrap(ids)));
    for (let c = 0; c < 3; c++) {
      this.clientBusy.push(false);
      this.q.schedule(this.rng.int(50), { kind: 'client', client: c });
    }
    this.q.schedule(this.faultEvery, { kind: 'fault' });
    let violation: string | undefined;
    try {
      this.runUntil(this.chaosTime);
      this.heal();
      this.awaitLiveness();
      this.checkHistory();
    } catch (e) {
      // A broken invariant inside the core (it throws rather than carry on) is a violation too.
      violation =
        e instanceof Violation
          ? e.message
          : `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      this.log(`VIOLATION ${violation}`);
    }
    let maxTerm = 0;
    for (const n of this.nodes.values()) maxTerm = Math.max(maxTerm, n.storage.hardState.term);
    return {
      seed: this.opts.seed,
      ok: violation === undefined,
      ...(violation === undefined ? {} : { violation }),
      trace: this.trace,
      stats: {
        voters: this.initialVoters,
        committed: this.checker.committedCount,
        operations: this.history.length,
        events: this.events,
        crashes: this.crashes,
        confChanges: this.confChanges,
        snapshotsSent: this.snapshotsSent,
        maxTerm,
      },
    };
  }

  // ---------------------------------------------------------------- event loop

  private runUntil(until: number, done?: () => boolean): boolean {
    for (;;) {
      if (done?.()) return true;
      const ev = this.q.pop(until);
      if (ev === undefined) return false;
      this.events++;
      this.handle(ev);
      this.checkSafety(touchedNode(ev));
    }
  }

  private handle(ev: Event): void {
    const node = touchedNode(ev);
    const until = node === undefined ? undefined : this.pausedUntil.get(node);
    if (until !== undefined && ev.kind !== 'restart' && ev.kind !== 'resume') {
      if (this.q.now < until) {
        this.q.schedule(until - this.q.now, ev);
        return;
      }
      this.pausedUntil.delete(node!);
    }
    switch (ev.kind) {
      case 'tick': {
        // Each incarnation has its own clock: a stale chain from before a crash must not tick too.
        const n = this.nodes.get(ev.node);
        if (n?.raft && n.incarnation === ev.incarnation) {
          n.raft.tick();
          n.pump();
          this.q.schedule(TICK, ev);
        }
        break;
      }
      case 'deliver': {
        const n = this.nodes.get(ev.m.to);
        if (!n?.raft || this.isCut(ev.m.from, ev.m.to)) break;
        if (ev.m.type === 'snap') this.snapshotsSent++;
        if (this.opts.traceMessages) this.log(`deliver ${describe(ev.m)}`);
        n.raft.step(ev.m);
        n.pump();
        break;
      }
      case 'sync': {
        const n = this.nodes.get(ev.node);
        if (n && n.incarnation === ev.incarnation) n.synced();
        break;
      }
      case 'client':
        this.clientInvoke(ev.client);
        break;
      case 'client-timeout':
        this.clientTimeout(ev.op);
        break;
      case 'request':
        this.handleRequest(ev.node, ev.op);
        break;
      case 'resume':
        this.log(`resume ${ev.node}`);
        break;
      case 'fault':
        if (!this.healed) {
          this.injectFault();
          this.q.schedule(this.faultEvery / 2 + this.rng.int(this.faultEvery), ev);
        }
        break;
      case 'restart': {
        const n = this.nodes.get(ev.node);
        if (n && !n.up) this.restart(n);
        break;
      }
      case 'heal':
        this.cut.clear();
        this.log('heal partitions');
        break;
    }
  }

  private log(line: string): void {
    if (this.opts.trace) this.trace.push(`${String(this.q.now).padStart(6)} ${line}`);
  }

  // ---------------------------------------------------------------- nodes, disk, network

  private startNode(id: NodeId, storage: MemoryStorage): SimNode {
    const node = new SimNode(
      id,
      {
        random: () => this.rng.next(),
        send: (m) => this.send(m),
        scheduleSync: (n) =>
          this.q.schedule(this.rng.int((this.healed ? HEALED_DISK : this.maxDisk) + 1), {
            kind: 'sync',
            node: n.id,
            incarnation: n.incarnation,
          }),
        onApply: (n, e, result) => this.onApply(n, e, result),
        onReadState: (n, rs) => this.onReadState(n, rs),
        onPersist: (n, rd) => {
          if (rd.hardState) this.checker.onPersist(n.id, rd.hardState);
        },
        electionTicks: ELECTION_TICKS,
        compactEvery: this.compactEvery,
      },
      storage,
    );
    this.nodes.set(id, node);
    node.start();
    this.q.schedule(this.rng.int(TICK), { kind: 'tick', node: id, incarnation: node.incarnation });
    this.log(`start ${id}`);
    return node;
  }

  private restart(n: SimNode): void {
    n.start();
    this.q.schedule(this.rng.int(TICK), { kind: 'tick', node: n.id, incarnation: n.incarnation });
    this.log(
      `restart ${n.id} (term ${n.storage.hardState.term}, ${n.storage.entries.length} entries)`,
    );
  }

  private crash(n: SimNode): void {
    n.crash();
    this.crashes++;
    this.log(`crash ${n.id} (unsynced writes lost)`);
  }

  private isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  private send(m: Message): void {
    if (this.isCut(m.from, m.to)) return;
    if (!this.healed && this.rng.next() < this.dropRate) return;
    const copies = !this.healed && this.rng.next() < this.dupRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      // Independent delays reorder messages on the same link.
      const long = !this.healed && this.rng.next() < this.longDelayRate;
      const delay = long
        ? this.rng.int(20 * TICK)
        : 1 + this.rng.int(this.healed ? HEALED_DELAY : this.maxDelay);
      this.q.schedule(delay, { kind: 'deliver', m });
    }
  }

  // ---------------------------------------------------------------- faults

  private upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.raft?.role === 'leader' && (!best || n.raft.term > best.raft!.term)) best = n;
    }
    return best;
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.rng.int(xs.length)];
  }

  private injectFault(): void {
    const roll = this.rng.int(10);
    const ids = [...this.nodes.keys()];
    if (roll <= 2) {
      // Leaders are the interesting victims: half the crashes pick the current one.
      const n = (this.rng.next() < 0.5 ? this.leader() : undefined) ?? this.pick(this.upNodes());
      if (!n) return;
      this.crash(n);
      const down =
        this.quickRestarts && this.rng.next() < 0.7
          ? 1 + this.rng.int(40)
          : 50 + this.rng.int(1500);
      this.q.schedule(down, { kind: 'restart', node: n.id });
    } else if (roll <= 4) {
      // A random split, both ways.
      const side = new Set(ids.filter(() => this.rng.next() < 0.5));
      for (const a of ids)
        for (const b of ids) if (side.has(a) !== side.has(b)) this.cut.add(`${a}>${b}`);
      this.log(`partition {${[...side].join(',')}} | rest`);
      this.q.schedule(100 + this.rng.int(2000), { kind: 'heal' });
    } else if (roll === 5) {
      // One-way cuts: some links deliver in one direction only.
      const k = 1 + this.rng.int(ids.length);
      const links: string[] = [];
      for (let i = 0; i < k; i++) {
        const a = this.pick(ids)!;
        const b = this.pick(ids)!;
        if (a !== b) {
          this.cut.add(`${a}>${b}`);
          links.push(`${a}>${b}`);
        }
      }
      this.log(`one-way cuts ${links.join(' ')}`);
      this.q.schedule(100 + this.rng.int(2000), { kind: 'heal' });
    } else if (roll <= 7) {
      this.membershipChange();
    } else if (roll === 8 && this.rng.next() < 0.5) {
      // A stop-the-world pause: the node misses time while the others move on without it.
      const n = (this.rng.next() < 0.6 ? this.leader() : undefined) ?? this.pick(this.upNodes());
      if (!n) return;
      const pause = 50 + this.rng.int(800);
      this.pausedUntil.set(n.id, this.q.now + pause);
      this.q.schedule(pause, { kind: 'resume', node: n.id });
      this.log(`pause ${n.id} for ${pause}`);
    } else if (roll === 8) {
      const l = this.leader();
      const to = l && this.pick(l.raft!.conf.voters.filter((v) => v !== l.id));
      if (l && to) {
        const r = l.raft!.transferLeadership(to);
        this.log(`transfer ${l.id} -> ${to}: ${r.ok ? 'started' : r.reason}`);
        l.pump();
      }
    } else {
      // Bursts of ticks on one node: a clock running fast.
      const n = this.pick(this.upNodes());
      if (n?.raft) {
        for (let i = 0; i < ELECTION_TICKS; i++) n.raft.tick();
        n.pump();
        this.log(`clock jump on ${n.id}`);
      }
    }
  }

  /** Moves the voter count towards a target among 3, 5 and 7, one server at a time. */
  private membershipChange(): void {
    const l = this.leader();
    if (!l?.raft) return;
    const raft = l.raft;
    const conf = raft.conf;
    if (this.rng.next() < 0.2) this.targetVoters = [3, 5, 7][this.rng.int(3)]!;
    let change: ConfChange | undefined;
    const learner = conf.learners[0];
    if (learner !== undefined) {
      change = { type: 'add-voter', node: learner };
    } else if (conf.voters.length < this.targetVoters) {
      change = { type: 'add-learner', node: `n${this.nextNodeId}` };
    } else if (conf.voters.length > this.targetVoters || this.rng.next() < 0.3) {
      const victim = this.pick(conf.voters);
      if (victim !== undefined && conf.voters.length > 3) change = { type: 'remove', node: victim };
    }
    if (change === undefined) return;
    this.proposeConfChange(l, change);
    // Now and then a second change right behind the first: the leader must refuse it.
    if (this.rng.next() < 0.3) {
      const victim = this.pick(raft.conf.voters.filter((v) => v !== change.node));
      if (victim !== undefined && raft.conf.voters.length > 3) {
        this.proposeConfChange(l, { type: 'remove', node: victim });
      }
    }
  }

  private proposeConfChange(l: SimNode, change: ConfChange): void {
    const raft = l.raft!;
    const r = raft.proposeConfChange(change);
    this.log(
      `conf ${change.type} ${change.node} via ${l.id}: ${r.ok ? `index ${r.index}` : r.reason}`,
    );
    if (!r.ok) return;
    this.confChanges++;
    if (change.type === 'add-learner') {
      this.nextNodeId++;
      // A new member starts with an empty disk and learns the cluster from the leader.
      this.startNode(change.node, new MemoryStorage());
    }
    l.pump();
  }

  private heal(): void {
    this.healed = true;
    this.cut.clear();
    this.pausedUntil.clear();
    for (const n of this.nodes.values()) if (!n.up) this.restart(n);
    this.log('liveness phase: faults healed, all nodes up');
  }

  // ---------------------------------------------------------------- clients

  private clientInvoke(client: number): void {
    if (this.clientBusy[client]) return;
    const key = this.pick(KEYS)!;
    const roll = this.rng.next();
    const opId = this.nextOp++;
    let op: KvOp;
    if (roll < 0.45) op = { kind: 'put', key, value: `v${opId}` };
    else if (roll < 0.75) op = { kind: 'get', key };
    else op = { kind: 'cas', key, expected: this.lastValue(key), value: `v${opId}` };
    const operation: Operation = {
      id: opId,
      client,
      op,
      call: this.q.now,
      ret: 0,
      status: 'unknown',
    };
    this.history.push(operation);
    this.operations.set(opId, operation);
    this.clientBusy[client] = true;
    // A client sticks to the node it believes leads (it may be a deposed leader that does not know
    // yet), follows leader hints on refusal, and sometimes tries a random node.
    const believed = this.clientTarget[client];
    const target =
      (this.rng.next() < 0.85 && believed ? believed : undefined) ??
      this.pick([...this.nodes.keys()])!;
    this.q.schedule(1 + this.rng.int(5), { kind: 'request', node: target, op: opId });
    this.q.schedule(CLIENT_TIMEOUT, { kind: 'client-timeout', op: opId });
  }

  /** A client request reaches `node` (possibly after the client gave up on it). */
  private handleRequest(nodeId: NodeId, opId: number): void {
    const operation = this.operations.get(opId)!;
    const { client, op } = operation;
    const open = !this.finished.has(opId);
    const target = this.nodes.get(nodeId);
    const raft = target?.raft;
    if (!target || !raft) {
      // Connection refused: the request had no effect.
      if (open) {
        this.clientTarget[client] = null;
        this.finish(operation, 'fail');
      }
      return;
    }
    if (op.kind === 'get') {
      if (!open) return;
      const r = raft.readIndex(`op${opId}`);
      if (!r.ok) {
        this.clientTarget[client] = r.leader;
        this.finish(operation, 'fail');
        return;
      }
    } else {
      const cmd: KvCommand =
        op.kind === 'put'
          ? { op: opId, kind: 'put', key: op.key, value: op.value }
          : { op: opId, kind: 'cas', key: op.key, expected: op.expected, value: op.value };
      const r = raft.propose(encodeCommand(cmd));
      target.pump();
      if (!open) return; // a late request may still take effect; its operation stays open-ended
      if (!r.ok) {
        this.clientTarget[client] = r.leader;
        this.finish(operation, 'fail');
        return;
      }
    }
    this.clientTarget[client] = target.id;
    this.pending.set(opId, { op: operation, node: target.id, incarnation: target.incarnation });
    target.pump();
  }

  /** The latest value this run has seen acknowledged for `key`, so that some CAS succeed. */
  private lastValue(key: string): string | null {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const h = this.history[i]!;
      if (h.op.key !== key || h.status !== 'ok') continue;
      if (h.result?.kind === 'get') return h.result.value;
      if (h.op.kind === 'put') return h.op.value;
    }
    return null;
  }

  private finish(
    op: Operation,
    status: 'ok' | 'fail' | 'unknown',
    result?: Operation['result'],
  ): void {
    op.status = status;
    op.ret = this.q.now;
    this.finished.add(op.id);
    if (result) op.result = result;
    this.pending.delete(op.id);
    this.clientBusy[op.client] = false;
    this.log(
      `client ${op.client} ${op.op.kind} ${op.op.key} #${op.id}: ${status}${result ? ` ${JSON.stringify(result)}` : ''}`,
    );
    // The liveness phase runs without new client load, so replicas can be seen to converge.
    if (!this.healed) {
      this.q.schedule(1 + this.rng.int(30), { kind: 'client', client: op.client });
    }
  }

  private clientTimeout(opId: number): void {
    const op = this.operations.get(opId)!;
    if (this.finished.has(opId)) return;
    // A write that timed out may still take effect; a read that timed out had no effect.
    this.clientTarget[op.client] = null;
    this.finish(op, op.op.kind === 'get' ? 'fail' : 'unknown');
  }

  private onApply(n: SimNode, e: Entry, result: KvApplyResult | null): void {
    this.checker.onApply(n.id, e);
    if (result === null) return;
    const cmd = decodeCommand(e.data);
    const p = cmd && this.pending.get(cmd.op);
    if (!p || p.node !== n.id || p.incarnation !== n.incarnation) return;
    this.finish(
      p.op,
      'ok',
      result.kind === 'put' ? { kind: 'put' } : { kind: 'cas', ok: result.ok },
    );
    this.serveReads(n);
  }

  private onReadState(n: SimNode, rs: ReadState): void {
    const opId = Number(rs.context.slice(2));
    const p = this.pending.get(opId);
    if (!p || p.node !== n.id || p.incarnation !== n.incarnation) return;
    p.readIndex = rs.index;
    this.serveReads(n);
  }

  /** Thesis §6.4 step 4: answer once the state machine has applied the read index. */
  private serveReads(n: SimNode): void {
    const applied = n.raft?.log.applied ?? 0;
    for (const p of [...this.pending.values()]) {
      if (p.node !== n.id || p.incarnation !== n.incarnation || p.readIndex === undefined) continue;
      if (p.readIndex > applied || p.op.op.kind !== 'get') continue;
      this.finish(p.op, 'ok', { kind: 'get', value: n.kv.get(p.op.op.key) });
    }
  }

  // ---------------------------------------------------------------- checks

  private readonly lastRole = new Map<NodeId, string>();

  /**
   * After every event: the per-node properties on every node, and log matching between the node
   * the event touched and every other (only its log can have changed; `undefined` means any).
   */
  private checkSafety(touched: NodeId | undefined): void {
    for (const n of this.nodes.values()) {
      if (!n.raft) continue;
      this.checker.observe(n.id, n.incarnation, n.raft);
      if (this.opts.trace) {
        const role = `${n.raft.role} t${n.raft.term}`;
        if (this.lastRole.get(n.id) !== role) {
          this.lastRole.set(n.id, role);
          this.log(
            `${n.id} is ${role} (last ${n.raft.log.lastIndex()}, commit ${n.raft.log.committed}, voters ${n.raft.conf.voters.join(',')})`,
          );
        }
      }
    }
    this.checkLogMatching(touched);
  }

  private checkLogMatching(touched?: NodeId): void {
    const up = this.upNodes();
    for (let i = 0; i < up.length; i++) {
      for (let j = i + 1; j < up.length; j++) {
        const [a, b] = [up[i]!, up[j]!];
        if (touched !== undefined && a.id !== touched && b.id !== touched) continue;
        SafetyChecker.checkLogMatching(a.id, a.raft!, b.id, b.raft!);
      }
    }
  }

  private awaitLiveness(): void {
    const deadline = this.q.now + this.livenessBound;
    const converged = (): boolean => {
      const l = this.leader();
      if (!l?.raft) return false;
      const raft = l.raft;
      if (raft.log.term(raft.log.committed) !== raft.term) return false;
      const members = [...raft.conf.voters, ...raft.conf.learners];
      const digest = l.kv.digest();
      return members.every((id) => {
        const n = this.nodes.get(id);
        const r = n?.raft;
        return (
          r !== undefined &&
          r !== null &&
          r.leader === l.id &&
          r.log.lastIndex() === raft.log.lastIndex() &&
          r.log.committed === raft.log.lastIndex() &&
          r.log.applied === r.log.committed &&
          n!.kv.digest() === digest
        );
      });
    };
    if (!this.runUntil(deadline, converged)) {
      const l = this.leader();
      const states = [...this.nodes.values()]
        .map((n) =>
          n.raft
            ? `${n.id}:${n.raft.role}/t${n.raft.term}/last${n.raft.log.lastIndex()}/c${n.raft.log.committed}/a${n.raft.log.applied}`
            : `${n.id}:down`,
        )
        .join(' ');
      throw new Violation(
        `liveness: no converged leader ${this.livenessBound} after healing (leader ${l?.id ?? 'none'}; ${states})`,
      );
    }
    this.checkLogMatching();
    this.log(`converged under ${this.leader()!.id} at ${this.q.now}`);
  }

  private checkHistory(): void {
    for (const p of this.pending.values()) {
      p.op.status = p.op.op.kind === 'get' ? 'fail' : 'unknown';
    }
    const r = checkLinearizable(this.history);
    if (r.ok === false) throw new Violation(`linearizability on key ${r.key}:\n${r.explanation}`);
    // A history the checker cannot decide is not a pass: the seed must be looked at.
    if (r.ok === 'inconclusive')
      throw new Violation(`linearizability undecided on key ${r.key}: ${r.reason}`);
  }
}

function describe(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} t${m.term}`];
  if (m.type === 'app' || m.type === 'vote' || m.type === 'pre-vote')
    parts.push(`i${m.index}/lt${m.logTerm}`);
  if (m.type === 'app') parts.push(`+${m.entries?.length ?? 0} c${m.commit}`);
  if (m.type === 'app-resp')
    parts.push(`i${m.index}${m.reject ? ` reject hint ${m.rejectHint}` : ''}`);
  if (m.type === 'vote-resp' || m.type === 'pre-vote-resp')
    parts.push(m.reject ? 'reject' : 'grant');
  if (m.type === 'heartbeat') parts.push(`c${m.commit}`);
  if (m.type === 'snap') parts.push(`snapshot@${m.snapshot?.meta.index}`);
  return parts.join(' ');
}

/** The node an event acts on; undefined for events that may act on any (faults, healing). */
function touchedNode(ev: Event): NodeId | undefined {
  if ('node' in ev) return ev.node;
  return ev.kind === 'deliver' ? ev.m.to : undefined;
}
