/**
 * A hand-driven cluster of Raft cores for paper-rule and scenario tests: every message goes through
 * a FIFO queue that tests can filter (cut links, drop types), and every node persists instantly.
 */
import { seededRng } from '../../src/raft/rng';
import { MemoryStorage } from '../../src/raft/memory-storage';
import { DEFAULT_RAFT_CONFIG, RaftNode } from '../../src/raft/raft';
import type { Entry, Message, NodeId, RaftConfig, ReadState } from '../../src/raft/types';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface HarnessOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTicks?: number;
  maxEntriesPerMsg?: number;
  maxInflightMsgs?: number;
  maxBytesPerMsg?: number;
  seed?: number;
}

export class Harness {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly storage = new Map<NodeId, MemoryStorage>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  /** Every message that was put on the wire, delivered or not. */
  readonly sent: Message[] = [];
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  private filter: ((m: Message) => boolean) | null = null;
  private readonly rng;

  constructor(
    voters: NodeId[],
    private readonly opts: HarnessOptions = {},
  ) {
    this.rng = seededRng(opts.seed ?? 1);
    for (const id of voters) this.add(id, new MemoryStorage(RaftNode.bootstrap(voters)));
  }

  /** Starts a node with empty storage (a new member that has not heard of the cluster yet). */
  addEmpty(id: NodeId): RaftNode {
    return this.add(id, new MemoryStorage());
  }

  private add(id: NodeId, storage: MemoryStorage): RaftNode {
    this.storage.set(id, storage);
    const node = new RaftNode(this.config(id), storage.load());
    this.nodes.set(id, node);
    if (!this.applied.has(id)) this.applied.set(id, []);
    return node;
  }

  config(id: NodeId): RaftConfig {
    return {
      ...DEFAULT_RAFT_CONFIG,
      id,
      random: () => this.rng.next(),
      preVote: this.opts.preVote ?? true,
      checkQuorum: this.opts.checkQuorum ?? true,
      electionTicks: this.opts.electionTicks ?? 10,
      maxEntriesPerMsg: this.opts.maxEntriesPerMsg ?? DEFAULT_RAFT_CONFIG.maxEntriesPerMsg,
      maxInflightMsgs: this.opts.maxInflightMsgs ?? DEFAULT_RAFT_CONFIG.maxInflightMsgs,
      maxBytesPerMsg: this.opts.maxBytesPerMsg ?? DEFAULT_RAFT_CONFIG.maxBytesPerMsg,
    };
  }

  node(id: NodeId): RaftNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Handles every pending Ready of `id`: persist, send, apply, advance. */
  process(id: NodeId): void {
    const node = this.nodes.get(id);
    if (!node) return;
    const storage = this.storage.get(id)!;
    while (node.hasReady()) {
      const rd = node.ready();
      for (const m of rd.messages) this.send(m);
      storage.persist(rd);
      for (const m of rd.messagesAfterPersist) this.send(m);
      const applied = this.applied.get(id)!;
      if (rd.snapshot) applied.length = 0;
      applied.push(...rd.committedEntries);
      if (rd.readStates.length > 0) {
        this.readStates.set(id, [...(this.readStates.get(id) ?? []), ...rd.readStates]);
      }
      node.advance();
    }
  }

  private send(m: Message): void {
    this.sent.push(m);
    this.queue.push(m);
  }

  /** Delivers messages until the cluster is quiet; returns how many were delivered. */
  stabilize(maxRounds = 1000): number {
    let delivered = 0;
    for (let round = 0; round < maxRounds; round++) {
      for (const id of this.nodes.keys()) this.process(id);
      if (this.queue.length === 0) return delivered;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        if (this.cut.has(`${m.from}->${m.to}`)) continue;
        if (this.filter && !this.filter(m)) continue;
        const to = this.nodes.get(m.to);
        if (!to) continue;
        to.step(m);
        delivered++;
      }
    }
    throw new Error('cluster did not stabilize');
  }

  /** Drops every message for which `keep` returns false (until `setFilter(null)`). */
  setFilter(keep: ((m: Message) => boolean) | null): void {
    this.filter = keep;
  }

  /** Takes the queued messages off the wire without delivering them (to replay later). */
  intercept(): Message[] {
    for (const id of this.nodes.keys()) this.process(id);
    const q = this.queue;
    this.queue = [];
    return q;
  }

  deliver(m: Message): void {
    this.nodes.get(m.to)?.step(m);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}->${to}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).tick();
      this.stabilize();
    }
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, data: string): number {
    const r = this.node(id).propose(enc(data));
    if (!r.ok) throw new Error(`proposal refused: ${r.reason}`);
    this.stabilize();
    return r.index;
  }

  /** Forgets the node's memory; its storage survives. */
  crash(id: NodeId): void {
    this.nodes.delete(id);
  }

  restart(id: NodeId): RaftNode {
    const storage = this.storage.get(id)!;
    this.applied.set(id, []);
    return this.add(id, storage);
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.role === 'leader').map((n) => n.id);
  }

  /** The application data each node has applied, in order (no-ops and conf entries left out). */
  appliedData(id: NodeId): string[] {
    return (this.applied.get(id) ?? [])
      .filter((e) => e.type === 'normal' && e.data.length > 0)
      .map((e) => dec(e.data));
  }
}

/** Proposes on `id` without delivering anything; throws if refused. */
export function proposeOk(h: Harness, id: NodeId, data: string): number {
  const r = h.node(id).propose(enc(data));
  if (!r.ok) throw new Error(`proposal to ${id} refused: ${r.reason}`);
  return r.index;
}

/** Ticks `ids` (and only them) until one of them leads. */
export function tickUntilLeader(h: Harness, ids: readonly NodeId[], max = 300): NodeId {
  for (let i = 0; i < max; i++) {
    const leader = h.leaders().find((id) => ids.includes(id));
    if (leader !== undefined) return leader;
    for (const id of ids) h.nodes.get(id)?.tick();
    h.stabilize();
  }
  throw new Error(`none of ${ids.join(',')} became leader`);
}
