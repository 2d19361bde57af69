/**
 * The Raft core: a pure, synchronous state machine in the manner of etcd-io/raft. Inputs are
 * `tick()`, `step(message)`, `propose(data)`, `proposeConfChange(change)`, `readIndex(context)`
 * and `transferLeadership(to)`; output is a `Ready` batch that the host persists, sends and
 * applies before calling `advance()`. Nothing here reads a clock, a socket, a disk or
 * `Math.random`: time is counted in ticks and randomness comes from `config.random`.
 *
 * Section numbers refer to the Raft paper (Ongaro & Ousterhout 2014) and Ongaro's thesis (2014).
 */
import { RaftLog } from './log';
import {
  applyConfChange,
  confChangeProblem,
  encodeConfEntry,
  quorumIndex,
  voteResult,
  type ConfChange,
  type VoteResult,
} from './membership';
import { Progress } from './progress';
import { ReadIndexQueue } from './read-index';
import type {
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NodeId,
  PersistedState,
  RaftConfig,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SoftState,
} from './types';

/** Context of a vote request sent after TimeoutNow: voters grant it even inside a leader lease. */
const TRANSFER = 'transfer';

/**
 * Responses that promise what this node wrote go out only once that is durable. Heartbeat and
 * pre-vote responses promise nothing on disk (a term or vote change is held back by `send`).
 */
const RESPONSES: ReadonlySet<MessageType> = new Set(['app-resp', 'vote-resp']);

export type ProposeRejection =
  | 'not-leader'
  | 'transferring'
  | 'conf-change-pending'
  | 'no-commit-in-term'
  | 'invalid-conf-change';

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | {
      readonly ok: false;
      readonly reason: ProposeRejection;
      readonly leader: NodeId | null;
      readonly detail?: string;
    };

export const DEFAULT_RAFT_CONFIG: Omit<RaftConfig, 'id' | 'random'> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxEntriesPerMsg: 256,
  maxInflightMsgs: 256,
  maxBytesPerMsg: 1024 * 1024,
};

const EMPTY = new Uint8Array(0);

type MessageInit = Partial<Message> & Pick<Message, 'type' | 'to'>;

export class RaftNode {
  readonly id: NodeId;
  readonly log: RaftLog;
  term: number;
  vote: NodeId | null;
  role: Role = 'follower';
  leader: NodeId | null = null;
  conf: ConfState;

  private readonly cfg: RaftConfig;
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId | null = null;
  private transferElapsed = 0;
  /** A leader proposes no membership change until the one at this index is committed. */
  private pendingConfIndex = 0;
  private confVersion: number;
  private reads = new ReadIndexQueue();
  /** Reads that arrived before this leader committed an entry of its term (§6.4 step 1). */
  private readsAwaitingCommit: string[] = [];
  private readSeq = 0;
  private needsBroadcast = false;

  private msgs: Message[] = [];
  private msgsAfterPersist: Message[] = [];
  private readStates: ReadState[] = [];
  private lastSoft: SoftState = { leader: null, role: 'follower' };
  private handedHard: HardState;
  private durableHard: HardState;
  private readyOut: { hard: HardState; snapshot: Snapshot | null } | null = null;

  constructor(cfg: RaftConfig, persisted: PersistedState) {
    validateConfig(cfg);
    this.cfg = cfg;
    this.id = cfg.id;
    this.log = new RaftLog(persisted);
    this.term = persisted.hardState.term;
    this.vote = persisted.hardState.vote;
    this.handedHard = { ...persisted.hardState, commit: this.log.committed };
    this.durableHard = this.handedHard;
    this.conf = this.log.confAt(this.log.lastIndex());
    this.confVersion = this.log.confVersion;
    this.resetElectionTimeout();
  }

  /** The state every founding member starts from: the first membership as entry 1 of term 1. */
  static bootstrap(voters: readonly NodeId[]): PersistedState {
    const conf: ConfState = { voters: [...voters].sort(), learners: [] };
    return {
      hardState: { term: 1, vote: null, commit: 1 },
      snapshot: null,
      entries: [{ index: 1, term: 1, type: 'conf', data: encodeConfEntry(conf, null) }],
    };
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (a tick past the timeout does the same). */
  campaign(): void {
    this.hup(false);
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal();
    if (refused) return refused;
    const index = this.appendEntry('normal', data);
    return { ok: true, index, term: this.term };
  }

  /**
   * One server at a time (thesis §4.1), and only once this leader has committed an entry of its
   * own term and the previous change is committed: together these rule out the single-server
   * change bug (Ongaro, raft-dev 2015) in which two overlapping changes lose a committed entry.
   */
  proposeConfChange(cc: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused) return refused;
    const no = (reason: ProposeRejection, detail?: string): ProposeResult => ({
      ok: false,
      reason,
      leader: this.leader,
      ...(detail === undefined ? {} : { detail }),
    });
    if (this.pendingConfIndex > this.log.committed) return no('conf-change-pending');
    if (this.log.term(this.log.committed) !== this.term) return no('no-commit-in-term');
    const problem = confChangeProblem(this.conf, cc);
    if (problem !== null) return no('invalid-conf-change', problem);
    const index = this.appendEntry('conf', encodeConfEntry(applyConfChange(this.conf, cc), cc));
    this.pendingConfIndex = index;
    return { ok: true, index, term: this.term };
  }

  /**
   * Thesis §6.4: a read is served at the commit index once a quorum confirms this node still leads.
   * The answer arrives as a `ReadState` in a later `Ready`; if leadership is lost first it never
   * does, and the host times the read out.
   */
  readIndex(context: string): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not-leader', leader: this.leader };
    if (this.log.term(this.log.committed) !== this.term) this.readsAwaitingCommit.push(context);
    else this.startRead(context);
    return { ok: true, index: this.log.committed, term: this.term };
  }

  /** Thesis §3.10: catch `to` up, then tell it to campaign at once with TimeoutNow. */
  transferLeadership(to: NodeId): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not-leader', leader: this.leader };
    const pr = this.progress.get(to);
    if (to === this.id) return { ok: true, index: this.log.lastIndex(), term: this.term };
    if (pr === undefined || pr.isLearner) {
      return {
        ok: false,
        reason: 'invalid-conf-change',
        leader: this.leader,
        detail: `${to} is not a voter`,
      };
    }
    // A repeated request for the pending transfer neither restarts its clock nor CheckQuorum's.
    if (this.leadTransferee === to)
      return { ok: true, index: this.log.lastIndex(), term: this.term };
    this.leadTransferee = to;
    this.transferElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  /** The host could not reach `id`: stop pipelining to it and probe again. */
  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (this.role === 'leader' && pr?.state === 'replicate') pr.becomeProbe();
  }

  /** Host: the applied state up to `index` is captured in `data`; drop the log before it (§7). */
  compact(index: number, data: Uint8Array): void {
    this.log.compact(index, data);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        // Thesis §4.2.3: a server that heard from a live leader within the minimum election
        // timeout ignores vote requests, so a partitioned or removed server cannot disrupt it.
        const inLease =
          this.cfg.checkQuorum &&
          this.leader !== null &&
          this.electionElapsed < this.cfg.electionTicks;
        if (inLease && m.context !== TRANSFER) return;
      }
      if (m.type === 'pre-vote') {
        // A pre-vote never changes our term (thesis §9.6).
      } else if (m.type === 'pre-vote-resp' && !m.reject) {
        // It carries the term we will campaign in, not a newer leader's.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (
        (this.cfg.checkQuorum || this.cfg.preVote) &&
        (m.type === 'app' || m.type === 'heartbeat')
      ) {
        // A stale leader learns our term and steps down; without this, a node whose term rose while
        // cut off (and that PreVote now keeps from campaigning) could never rejoin.
        this.send({ type: 'app-resp', to: m.from });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-resp', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'pre-vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
    this.syncConf();
  }

  // ---------------------------------------------------------------- output

  /** False while a `Ready` is out: the host sends `takeMessages()` until it calls `advance()`. */
  hasReady(): boolean {
    if (this.readyOut !== null) return false;
    this.flushBroadcast();
    return (
      this.msgs.length > 0 ||
      this.msgsAfterPersist.length > 0 ||
      this.readStates.length > 0 ||
      this.log.hasUnstable() ||
      this.log.hasCommittedToApply() ||
      this.lastSoft.leader !== this.leader ||
      this.lastSoft.role !== this.role ||
      !sameHardState(this.hardState(), this.handedHard)
    );
  }

  /** Messages that need nothing durable, for a host that is still persisting the last `Ready`. */
  takeMessages(): Message[] {
    this.flushBroadcast();
    const out = this.msgs;
    this.msgs = [];
    return out;
  }

  ready(): Ready {
    if (this.readyOut !== null) throw new Error('ready() called again before advance()');
    this.flushBroadcast();
    const hard = this.hardState();
    const soft: SoftState = { leader: this.leader, role: this.role };
    const snapshot = this.log.pendingSnapshot;
    const rd: Ready = {
      softState:
        soft.leader !== this.lastSoft.leader || soft.role !== this.lastSoft.role ? soft : null,
      hardState: sameHardState(hard, this.handedHard) ? null : hard,
      snapshot,
      entries: this.log.takeUnstable(),
      committedEntries: this.log.takeCommitted(),
      messages: this.msgs,
      messagesAfterPersist: this.msgsAfterPersist,
      readStates: this.readStates,
    };
    this.msgs = [];
    this.msgsAfterPersist = [];
    this.readStates = [];
    this.lastSoft = soft;
    this.handedHard = hard;
    this.readyOut = { hard, snapshot };
    return rd;
  }

  /** The host has persisted, sent and applied the last `Ready`. */
  advance(): void {
    const out = this.readyOut;
    if (out === null) throw new Error('advance() without a ready()');
    this.readyOut = null;
    this.durableHard = out.hard;
    this.log.acceptPersisted(out.snapshot);
    this.log.acceptApplied();
    // The leader counts itself towards a quorum only for what it has made durable.
    if (this.role === 'leader') this.commitAndBroadcast();
  }

  // ---------------------------------------------------------------- status

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** A copy of what the leader knows of `id`, for tests and the status API. */
  progressOf(id: NodeId): { match: number; next: number; state: string } | undefined {
    const pr = this.progress.get(id);
    return pr && { match: pr.match, next: pr.next, state: pr.state };
  }

  isTransferring(): boolean {
    return this.leadTransferee !== null;
  }

  // ---------------------------------------------------------------- roles

  private becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // Paper §9.6 of the thesis: no term change, so a node that cannot win disturbs no one.
    this.votes.clear();
    this.role = 'pre-candidate';
    this.leader = null;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    for (const id of this.members()) this.progress.set(id, this.newProgress(id));
    // Conservatively treat anything already in the log as a pending membership change.
    this.pendingConfIndex = this.log.lastIndex();
    // §5.4.2: entries of earlier terms commit only under an entry of this term.
    this.appendEntry('normal', EMPTY);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.leadTransferee = null;
    this.votes.clear();
    this.progress.clear();
    this.reads.reset();
    this.readsAwaitingCommit = [];
    this.needsBroadcast = false;
  }

  private resetElectionTimeout(): void {
    // §5.2: randomized timeouts in [T, 2T) make split votes rare.
    const t = this.cfg.electionTicks;
    this.randomizedElectionTimeout = t + Math.floor(this.cfg.random() * t);
  }

  private promotable(): boolean {
    return this.conf.voters.includes(this.id) && this.log.pendingSnapshot === null;
  }

  private members(): NodeId[] {
    return [...this.conf.voters, ...this.conf.learners];
  }

  private newProgress(id: NodeId): Progress {
    const pr = new Progress(
      this.log.lastIndex() + 1,
      this.cfg.maxInflightMsgs,
      this.conf.learners.includes(id),
    );
    if (id === this.id) {
      pr.match = this.log.durableIndex();
      pr.becomeReplicate();
    }
    return pr;
  }

  // ---------------------------------------------------------------- ticks and elections

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const [id, pr] of this.progress) {
      // A snapshot lost on the way is retried after an election timeout without an answer.
      if (pr.state === 'snapshot' && ++pr.snapshotTicks >= this.cfg.electionTicks) {
        pr.becomeProbe();
        this.sendAppend(id);
      }
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      // §6.2 / thesis §3.6: CheckQuorum. A leader that has not heard from a quorum in an election
      // timeout steps down, so clients stop waiting on it and its lease-based vote refusals end.
      if (this.cfg.checkQuorum && this.quorumActive() !== 'won') {
        this.becomeFollower(this.term, null);
        return;
      }
    }
    // A transfer that has not completed in an election timeout is abandoned (thesis §3.10).
    if (this.leadTransferee !== null && ++this.transferElapsed >= this.cfg.electionTicks) {
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      // The newest pending read rides on every heartbeat until confirmed, so a lost round does not
      // leave it waiting forever (an answer to any later heartbeat proves leadership after it began).
      this.broadcastHeartbeat(this.reads.lastRound());
    }
  }

  private quorumActive(): VoteResult {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (id === this.id || pr.recentActive) active.set(id, true);
      pr.recentActive = false;
    }
    active.set(this.id, true);
    return voteResult(this.conf.voters, active);
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.cfg.preVote && !transfer) this.runCampaign('pre-vote', false);
    else this.runCampaign('vote', transfer);
  }

  private runCampaign(kind: 'pre-vote' | 'vote', transfer: boolean): void {
    let voteTerm: number;
    if (kind === 'pre-vote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    if (this.recordVote(this.id, true) === 'won') {
      this.wonElection(kind);
      return;
    }
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.send({
        type: kind,
        to: id,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        ...(transfer ? { context: TRANSFER } : {}),
      });
    }
  }

  private wonElection(kind: 'pre-vote' | 'vote'): void {
    if (kind === 'pre-vote') {
      this.runCampaign('vote', false);
    } else {
      this.becomeLeader();
      this.broadcastAppend();
    }
  }

  private recordVote(from: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return voteResult(this.conf.voters, this.votes);
  }

  /**
   * §5.2, §5.4.1. Any node answers, voter or not: a learner may have been promoted by an entry it
   * has not received yet, and the candidate only counts the voters of its own membership.
   */
  private handleVoteRequest(m: Message): void {
    const resp: MessageType = m.type === 'vote' ? 'vote-resp' : 'pre-vote-resp';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === 'pre-vote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // The granted response carries the candidate's term so it is not mistaken for a stale one.
      this.send({ type: resp, to: m.from, term: m.term });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: resp, to: m.from, reject: true });
    }
  }

  // ---------------------------------------------------------------- per role

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case 'app-resp':
        pr.recentActive = true;
        if (m.reject) this.handleAppendRejected(m, pr);
        else this.handleAppendAccepted(m, pr);
        break;
      case 'heartbeat-resp':
        pr.recentActive = true;
        pr.probeSent = false;
        // A full pipeline whose acknowledgements were lost would stall forever: free one slot.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context !== undefined) this.confirmRead(m.from, m.context);
        break;
      default:
        break;
    }
  }

  private handleAppendRejected(m: Message, pr: Progress): void {
    let hint = m.rejectHint ?? m.index;
    // Skip a whole conflicting term per round trip instead of one entry (§5.3, last paragraph).
    if (m.logTerm > 0) hint = this.log.findConflictByTerm(hint, m.logTerm);
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      this.sendAppend(m.from);
    }
  }

  private handleAppendAccepted(m: Message, pr: Progress): void {
    const wasPaused = pr.isPaused();
    // An empty probe answered at the known match also ends the probe (etcd does the same).
    const probeAnswered = pr.state === 'probe' && pr.match === m.index;
    if (!pr.maybeUpdate(m.index) && !probeAnswered) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (!this.commitAndBroadcast() && wasPaused) this.sendAppend(m.from);
    if (this.role !== 'leader') return;
    while (this.maybeSendAppend(m.from, false)) {
      // Fill the pipeline up to the in-flight limit.
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private stepCandidate(m: Message): void {
    const myResponse: MessageType = this.role === 'pre-candidate' ? 'pre-vote-resp' : 'vote-resp';
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      default:
        break;
    }
    if (m.type !== myResponse) return;
    const result = this.recordVote(m.from, m.reject !== true);
    if (result === 'won') this.wonElection(this.role === 'pre-candidate' ? 'pre-vote' : 'vote');
    else if (result === 'lost') this.becomeFollower(this.term, null);
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeout-now':
        this.hup(true);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- follower handlers

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'app-resp', to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries ?? []);
    if (lastNew !== null) {
      this.send({ type: 'app-resp', to: m.from, index: lastNew });
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({
      type: 'app-resp',
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint,
      logTerm: this.log.term(hint) ?? 0,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send({
      type: 'heartbeat-resp',
      to: m.from,
      ...(m.context === undefined ? {} : { context: m.context }),
    });
  }

  /** §7: install a leader's snapshot unless our log already covers it. */
  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s === undefined) return;
    if (s.meta.index <= this.log.committed) {
      this.send({ type: 'app-resp', to: m.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // Our log holds the snapshot's last entry, so it holds everything before it too.
      this.log.commitTo(s.meta.index);
      this.send({ type: 'app-resp', to: m.from, index: this.log.committed });
      return;
    }
    this.log.restore(s);
    this.send({ type: 'app-resp', to: m.from, index: this.log.lastIndex() });
  }

  // ---------------------------------------------------------------- leader machinery

  private refuseProposal(): ProposeResult | null {
    if (this.role !== 'leader') return { ok: false, reason: 'not-leader', leader: this.leader };
    // §3.10: a leader handing over stops taking proposals, or the transfer might never finish.
    if (this.leadTransferee !== null) {
      return { ok: false, reason: 'transferring', leader: this.leader };
    }
    return null;
  }

  private appendEntry(type: EntryType, data: Uint8Array): number {
    const e: Entry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    this.log.append([e]);
    this.syncConf();
    // Sent at the next ready(): proposals between two batches share one append per follower.
    this.needsBroadcast = true;
    return e.index;
  }

  private flushBroadcast(): void {
    if (!this.needsBroadcast) return;
    this.needsBroadcast = false;
    if (this.role === 'leader') this.broadcastAppend();
  }

  /** Commits what a quorum has (only entries of this term, §5.4.2) and tells the followers. */
  private commitAndBroadcast(): boolean {
    const mci = quorumIndex(this.conf.voters, (id) =>
      id === this.id ? this.log.durableIndex() : (this.progress.get(id)?.match ?? 0),
    );
    if (mci <= this.log.committed || this.log.term(mci) !== this.term) return false;
    this.log.commitTo(mci);
    this.broadcastAppend();
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const ctx of waiting) this.startRead(ctx);
    // Thesis §4.2.2: a leader removed from the membership leads until that change commits.
    if (!this.conf.voters.includes(this.id) && this.log.committed >= this.log.lastConfIndex()) {
      this.becomeFollower(this.term, null);
    }
    return true;
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** Sends what `to` is missing, if its progress allows; returns whether anything was sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) {
      if (prevIndex > this.log.lastIndex()) {
        throw new Error(`invariant: ${to} next ${pr.next} beyond last ${this.log.lastIndex()}`);
      }
      this.sendSnapshot(to, pr);
      return false;
    }
    const entries = withinBytes(
      this.log.slice(pr.next, Infinity, this.cfg.maxEntriesPerMsg),
      this.cfg.maxBytesPerMsg ?? Infinity,
    );
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: 'app',
      to,
      index: prevIndex,
      logTerm: prevTerm,
      commit: this.log.committed,
      entries,
    });
    pr.sentEntries(prevIndex + entries.length, entries.length);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    const snapshot = this.log.snapshot;
    if (snapshot === null) throw new Error('invariant: compacted log without a snapshot');
    pr.becomeSnapshot(snapshot.meta.index);
    this.send({ type: 'snap', to, snapshot });
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeout-now', to });
  }

  private broadcastHeartbeat(context: string | undefined): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to hold.
      this.send({
        type: 'heartbeat',
        to: id,
        commit: Math.min(pr.match, this.log.committed),
        ...(context === undefined ? {} : { context }),
      });
    }
  }

  private startRead(context: string): void {
    const index = this.log.committed;
    const alone = new Map([[this.id, true]]);
    if (voteResult(this.conf.voters, alone) === 'won') {
      this.readStates.push({ index, context });
      return;
    }
    // Heartbeats carry a sequence of our own, so a late answer to an old round confirms nothing new.
    const round = `${context}#${++this.readSeq}`;
    this.reads.add(index, round, this.id);
    this.broadcastHeartbeat(round);
  }

  private confirmRead(from: NodeId, round: string): void {
    const acks = this.reads.ack(from, round);
    if (acks === undefined || voteResult(this.conf.voters, acks) !== 'won') return;
    for (const r of this.reads.releaseThrough(round)) {
      this.readStates.push({
        index: r.index,
        context: r.context.slice(0, r.context.lastIndexOf('#')),
      });
    }
  }

  /** Membership takes effect when its entry is appended (thesis §4.1), and reverts on truncation. */
  private syncConf(): void {
    if (this.log.confVersion === this.confVersion) return;
    this.confVersion = this.log.confVersion;
    this.conf = this.log.confAt(this.log.lastIndex());
    if (this.role !== 'leader') {
      if (this.role !== 'follower' && !this.conf.voters.includes(this.id)) {
        this.becomeFollower(this.term, null);
      }
      return;
    }
    const members = new Set(this.members());
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const pr = this.progress.get(id);
      if (pr === undefined) this.progress.set(id, this.newProgress(id));
      else pr.isLearner = this.conf.learners.includes(id);
    }
    if (this.leadTransferee !== null && !this.conf.voters.includes(this.leadTransferee)) {
      this.leadTransferee = null;
    }
    // A smaller quorum may already hold more entries.
    this.commitAndBroadcast();
  }

  private send(init: MessageInit): void {
    const m: Message = { from: this.id, term: this.term, index: 0, logTerm: 0, commit: 0, ...init };
    // A message sent while our term or vote is not yet on disk must wait for it: otherwise a crash
    // could let this node vote twice in one term (§5.2, "persist before responding").
    const mustWait =
      RESPONSES.has(m.type) ||
      this.term !== this.durableHard.term ||
      this.vote !== this.durableHard.vote;
    (mustWait ? this.msgsAfterPersist : this.msgs).push(m);
  }
}

/** The longest prefix of `entries` within `maxBytes` of data, but never fewer than one entry. */
function withinBytes(entries: Entry[], maxBytes: number): Entry[] {
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    bytes += (entries[i] as Entry).data.length;
    if (bytes > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function validateConfig(cfg: RaftConfig): void {
  const positive = [
    'electionTicks',
    'heartbeatTicks',
    'maxEntriesPerMsg',
    'maxInflightMsgs',
  ] as const;
  for (const k of positive) {
    if (!(cfg[k] >= 1)) throw new Error(`raft config: ${k} must be at least 1 (got ${cfg[k]})`);
  }
  if (cfg.heartbeatTicks >= cfg.electionTicks) {
    throw new Error(
      `raft config: heartbeatTicks (${cfg.heartbeatTicks}) must be below electionTicks (${cfg.electionTicks})`,
    );
  }
}
