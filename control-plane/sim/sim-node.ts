/**
 * A simulated Raft host: drives one core the way the real host will (send, persist, then send what
 * waited for persistence, apply, advance), with a disk that takes virtual time to sync and loses
 * what was not synced when the node crashes.
 */
import { MemoryStorage } from '../src/raft/memory-storage';
import { DEFAULT_RAFT_CONFIG, RaftNode } from '../src/raft/raft';
import type { Entry, Message, NodeId, Ready, ReadState } from '../src/raft/types';
import { Violation } from './invariants';
import { KvStore, decodeCommand, type KvApplyResult } from './kv-store';

export interface SimNodeEnv {
  random(): number;
  send(m: Message): void;
  /** Schedules the end of a disk sync for this node's current incarnation. */
  scheduleSync(node: SimNode): void;
  onApply(node: SimNode, e: Entry, result: KvApplyResult | null): void;
  onReadState(node: SimNode, rs: ReadState): void;
  onPersist(node: SimNode, rd: Ready): void;
  electionTicks: number;
  compactEvery: number;
}

export class SimNode {
  readonly storage: MemoryStorage;
  raft: RaftNode | null = null;
  kv = new KvStore();
  incarnation = 0;
  private lastApplied = 0;
  private syncing: Ready | null = null;

  constructor(
    readonly id: NodeId,
    private readonly env: SimNodeEnv,
    storage: MemoryStorage,
  ) {
    this.storage = storage;
  }

  get up(): boolean {
    return this.raft !== null;
  }

  start(): void {
    this.incarnation++;
    const persisted = this.storage.load();
    this.raft = new RaftNode(
      {
        ...DEFAULT_RAFT_CONFIG,
        id: this.id,
        electionTicks: this.env.electionTicks,
        maxEntriesPerMsg: 16,
        maxInflightMsgs: 8,
        random: () => this.env.random(),
      },
      persisted,
    );
    this.kv = KvStore.restore(persisted.snapshot?.data ?? null);
    this.lastApplied = persisted.snapshot?.meta.index ?? 0;
    this.syncing = null;
  }

  /** Loses everything in memory, including a sync in progress: only `storage` survives. */
  crash(): void {
    this.raft = null;
    this.syncing = null;
    this.incarnation++;
  }

  /** Hands the core's output to the environment; called after every input. */
  pump(): void {
    const raft = this.raft;
    if (raft === null) return;
    if (this.syncing !== null) {
      for (const m of raft.takeMessages()) this.env.send(m);
      return;
    }
    if (!raft.hasReady()) return;
    const rd = raft.ready();
    for (const m of rd.messages) this.env.send(m);
    this.syncing = rd;
    this.env.scheduleSync(this);
  }

  /** The disk sync of the current Ready finished. */
  synced(): void {
    const raft = this.raft;
    const rd = this.syncing;
    if (raft === null || rd === null) return;
    this.syncing = null;
    this.storage.persist(rd);
    this.env.onPersist(this, rd);
    for (const m of rd.messagesAfterPersist) this.env.send(m);
    if (rd.snapshot) {
      this.kv = KvStore.restore(rd.snapshot.data);
      this.lastApplied = rd.snapshot.meta.index;
    }
    for (const e of rd.committedEntries) {
      // The state machine must see every index once, in order: a gap means lost writes.
      if (e.index !== this.lastApplied + 1) {
        throw new Violation(`${this.id} applied ${e.index} right after ${this.lastApplied}`);
      }
      this.lastApplied = e.index;
      const cmd = e.type === 'normal' ? decodeCommand(e.data) : null;
      const result = cmd === null ? null : this.kv.apply(cmd);
      this.env.onApply(this, e, result);
    }
    raft.advance();
    for (const rs of rd.readStates) this.env.onReadState(this, rs);
    this.maybeCompact(raft);
    this.pump();
  }

  private maybeCompact(raft: RaftNode): void {
    const applied = raft.log.applied;
    if (applied - raft.log.firstIndex() + 1 < this.env.compactEvery) return;
    raft.compact(applied, this.kv.snapshot());
    // The host writes the snapshot before dropping the log it covers.
    if (raft.log.snapshot) this.storage.compact(raft.log.snapshot);
  }
}
