/**
 * `RaftHost`: drives a `RaftNode` in a real process. It is the only place that turns the core's
 * ticks into wall-clock time, and it runs the `Ready` cycle of types.ts in order:
 *
 *   send messages → persist (fsync) → send messagesAfterPersist → restore / apply → advance
 *
 * Votes and append acknowledgements go out only after the write they promise is durable (they are
 * in `messagesAfterPersist`), which is what makes a restarted node keep its promises. While a
 * `Ready` is being persisted, the host keeps sending messages that need nothing durable
 * (`takeMessages`), so heartbeats do not stall behind an fsync.
 *
 * Proposals wait for their entry to be applied: the result of the state machine for that index is
 * handed back, or `ProposalDroppedError` when another leader's entry took the index. Reads wait
 * for their ReadIndex to be confirmed and applied.
 *
 * Lifecycle: `created` ─start()─▶ `running` ─stop()─▶ `stopped`; a storage failure moves to
 * `failed` (nothing more can be vouched for: the process must restart from disk) and calls
 * `onFatal`.
 */
import { RaftNode, DEFAULT_RAFT_CONFIG, type ProposeRejection } from '../raft/raft';
import type { ConfChange } from '../raft/membership';
import type { Entry, Message, NodeId, PersistedState, RaftConfig, Snapshot } from '../raft/types';
import type { RaftStorage } from './storage';
import type { Logger } from '../logger';

export interface StateMachine {
  /** Apply one committed entry (normal or conf), in index order; the result goes to its proposer. */
  apply(entry: Entry): unknown;
  /** The applied state as bytes, for a snapshot at the last applied index. */
  snapshot(): Uint8Array;
  /** Replace the state by a snapshot's (from the leader, or from disk at start). */
  restore(snapshot: Snapshot): void;
}

export interface RaftHostOptions {
  readonly id: NodeId;
  readonly storage: RaftStorage;
  readonly persisted: PersistedState;
  readonly stateMachine: StateMachine;
  readonly send: (msg: Message) => void;
  /** Wall-clock length of one core tick. */
  readonly tickMs: number;
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'random'>>;
  /** Compact (snapshot) once this many applied entries follow the last snapshot... */
  readonly snapshotEvery: number;
  /** ...or once the entries applied since then carry this many bytes (default 64 MiB). */
  readonly snapshotBytes?: number;
  readonly random?: () => number;
  readonly logger: Logger;
  /** After a local snapshot was taken and handed to storage (e.g. to copy it to a store). */
  readonly onSnapshot?: (snapshot: Snapshot) => void;
  /** Leader, role, membership or applied index may have changed. */
  readonly onChange?: () => void;
  readonly onFatal?: (err: unknown) => void;
}

export const DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024;

export type RaftHostState = 'created' | 'running' | 'stopped' | 'failed';

/** The core refused a proposal, read or transfer; `leader` is who leads as far as it knows. */
export class ProposalRejectedError extends Error {
  constructor(
    readonly reason: ProposeRejection | 'stopped',
    readonly leader: NodeId | null,
    detail?: string,
  ) {
    super(detail ?? `proposal rejected: ${reason}`);
    this.name = 'ProposalRejectedError';
  }
}

/** The proposed entry was overwritten by another leader's: it will never be applied. */
export class ProposalDroppedError extends Error {
  constructor(readonly index: number) {
    super(`the entry proposed at index ${index} was replaced after a leader change`);
    this.name = 'ProposalDroppedError';
  }
}

interface Waiter {
  readonly term: number;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

interface ReadWaiter {
  index: number | null;
  resolve(): void;
  reject(err: Error): void;
}

export class RaftHost {
  readonly node: RaftNode;
  private stateValue: RaftHostState = 'created';
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private flushScheduled = false;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly proposals = new Map<number, Waiter>();
  private readonly reads = new Map<string, ReadWaiter>();
  private readonly appliedWaiters: { index: number; resolve(): void }[] = [];
  private readSeq = 0;
  private applied: number;
  private lastLeader: NodeId | null = null;
  private bytesSinceSnapshot = 0;

  constructor(private readonly opts: RaftHostOptions) {
    this.node = new RaftNode(
      {
        ...DEFAULT_RAFT_CONFIG,
        ...opts.raft,
        id: opts.id,
        random: opts.random ?? Math.random,
      },
      opts.persisted,
    );
    if (opts.persisted.snapshot) opts.stateMachine.restore(opts.persisted.snapshot);
    this.applied = opts.persisted.snapshot?.meta.index ?? 0;
  }

  get state(): RaftHostState {
    return this.stateValue;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  start(): void {
    if (this.stateValue !== 'created')
      throw new Error(`RaftHost.start in state ${this.stateValue}`);
    this.stateValue = 'running';
    this.timer = setInterval(() => {
      this.node.tick();
      this.kick();
    }, this.opts.tickMs);
    this.kick();
  }

  /** Stops ticking and waits for the Ready in progress; pending callers are rejected. */
  async stop(): Promise<void> {
    if (this.stateValue === 'running') this.stateValue = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.loopDone;
    this.failAll(new ProposalRejectedError('stopped', null, 'the Raft host is stopping'));
  }

  step(msg: Message): void {
    if (this.stateValue !== 'running') return;
    this.node.step(msg);
    this.kick();
  }

  /** Resolves with the state machine's result for the entry once it is applied here. */
  propose(data: Uint8Array): Promise<unknown> {
    const res = this.runningOr(() => this.node.propose(data));
    return this.awaitEntry(res);
  }

  /** Resolves once the membership entry is applied here (it is in effect from its append). */
  proposeConfChange(cc: ConfChange): Promise<unknown> {
    const res = this.runningOr(() => this.node.proposeConfChange(cc));
    return this.awaitEntry(res);
  }

  /** Resolves once this node has applied everything committed before the call (thesis §6.4). */
  readIndex(): Promise<void> {
    const context = `${this.opts.id}/${++this.readSeq}`;
    const res = this.runningOr(() => this.node.readIndex(context));
    if (!res.ok) return Promise.reject(new ProposalRejectedError(res.reason, res.leader));
    // Registered before the loop runs: a Raft of one answers the read in the same turn.
    const done = new Promise<void>((resolve, reject) => {
      this.reads.set(context, { index: null, resolve, reject });
    });
    this.kick();
    return done;
  }

  transferLeadership(to: NodeId): void {
    const res = this.runningOr(() => this.node.transferLeadership(to));
    if (!res.ok) throw new ProposalRejectedError(res.reason, res.leader, res.detail);
    this.kick();
  }

  /** Resolves once `index` is applied here. */
  waitApplied(index: number): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  reportUnreachable(id: NodeId): void {
    if (this.stateValue === 'running') this.node.reportUnreachable(id);
  }

  private runningOr(f: () => ReturnType<RaftNode['propose']>): ReturnType<RaftNode['propose']> {
    if (this.stateValue !== 'running') {
      return {
        ok: false,
        reason: 'not-leader',
        leader: null,
        detail: 'the Raft host is not running',
      };
    }
    return f();
  }

  private awaitEntry(res: ReturnType<RaftNode['propose']>): Promise<unknown> {
    if (!res.ok) {
      return Promise.reject(new ProposalRejectedError(res.reason, res.leader, res.detail));
    }
    const done = new Promise<unknown>((resolve, reject) => {
      this.proposals.set(res.index, { term: res.term, resolve, reject });
    });
    this.kick();
    return done;
  }

  /** Runs the Ready loop unless it is running; while it waits on disk, sends what needs no disk. */
  private kick(): void {
    if (this.stateValue !== 'running') return;
    if (this.busy) {
      // Once per turn of the event loop, so that the proposals of one turn share one append.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          if (this.stateValue === 'running')
            for (const m of this.node.takeMessages()) this.opts.send(m);
        });
      }
      return;
    }
    if (!this.node.hasReady()) return;
    this.busy = true;
    this.loopDone = this.loop().finally(() => {
      this.busy = false;
    });
  }

  private async loop(): Promise<void> {
    try {
      while (this.stateValue === 'running' && this.node.hasReady()) {
        const rd = this.node.ready();
        for (const m of rd.messages) this.opts.send(m);
        if (rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null) {
          // Durable before anything that promises it leaves this node (paper §5.1, Figure 2).
          await this.opts.storage.persist(rd);
        }
        for (const m of rd.messagesAfterPersist) this.opts.send(m);
        if (rd.snapshot !== null) this.installSnapshot(rd.snapshot);
        for (const e of rd.committedEntries) this.applyEntry(e);
        for (const rs of rd.readStates) {
          const w = this.reads.get(rs.context);
          if (w) w.index = rs.index;
        }
        this.node.advance();
        this.settleReads();
        this.settleApplied();
        if (rd.softState !== null) this.onSoftState();
        this.maybeCompact();
        if (rd.softState !== null || rd.committedEntries.length > 0 || rd.snapshot !== null) {
          this.opts.onChange?.();
        }
      }
    } catch (err) {
      this.stateValue = 'failed';
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.opts.logger.error({ err }, 'Raft host failed; the node must restart from its disk');
      this.failAll(new ProposalRejectedError('stopped', null, 'the Raft host failed'));
      this.opts.onFatal?.(err);
    }
  }

  private installSnapshot(s: Snapshot): void {
    this.opts.stateMachine.restore(s);
    this.applied = s.meta.index;
    this.bytesSinceSnapshot = 0;
    // Proposals at or below the snapshot can no longer be told their result.
    for (const [index, w] of this.proposals) {
      if (index <= s.meta.index) {
        this.proposals.delete(index);
        w.reject(new ProposalDroppedError(index));
      }
    }
  }

  private applyEntry(e: Entry): void {
    const result = this.opts.stateMachine.apply(e);
    this.applied = e.index;
    this.bytesSinceSnapshot += e.data.length;
    const w = this.proposals.get(e.index);
    if (w === undefined) return;
    this.proposals.delete(e.index);
    if (w.term === e.term) w.resolve(result);
    else w.reject(new ProposalDroppedError(e.index));
  }

  private settleReads(): void {
    for (const [ctx, w] of this.reads) {
      if (w.index !== null && w.index <= this.applied) {
        this.reads.delete(ctx);
        w.resolve();
      }
    }
  }

  private settleApplied(): void {
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i];
      if (w !== undefined && w.index <= this.applied) {
        this.appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** A node that stops leading never answers its pending reads: fail them so callers retry. */
  private onSoftState(): void {
    const leader = this.node.leader;
    if (leader !== this.lastLeader) {
      this.opts.logger.info(
        { leader, term: this.node.term, role: this.node.role },
        'leader changed',
      );
      this.lastLeader = leader;
    }
    if (this.node.role !== 'leader') {
      for (const [ctx, w] of this.reads) {
        if (w.index === null) {
          this.reads.delete(ctx);
          w.reject(new ProposalRejectedError('not-leader', leader));
        }
      }
    }
  }

  private maybeCompact(): void {
    const log = this.node.log;
    const entries = this.applied - log.firstIndex() + 1;
    const bytesDue = this.bytesSinceSnapshot >= (this.opts.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES);
    if (entries < 1 || (entries < this.opts.snapshotEvery && !bytesDue)) return;
    this.bytesSinceSnapshot = 0;
    this.node.compact(this.applied, this.opts.stateMachine.snapshot());
    const snap = log.snapshot;
    if (snap === null) return;
    // Storage writes the snapshot durably before it drops the entries it covers.
    this.opts.storage.compact(snap).then(
      () => this.opts.onSnapshot?.(snap),
      (err: unknown) => {
        this.opts.logger.error({ err, index: snap.meta.index }, 'snapshot could not be stored');
      },
    );
  }

  private failAll(err: Error): void {
    for (const w of this.proposals.values()) w.reject(err);
    this.proposals.clear();
    for (const w of this.reads.values()) w.reject(err);
    this.reads.clear();
  }
}
