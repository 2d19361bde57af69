/**
 * `CoordinatorNode`: one coordinator process's control plane. It owns the data dir, the Raft host
 * (write-ahead log, ticker, apply loop), the cluster transport and the replicated cluster state,
 * and implements `CoordinatorService` for the HTTP API.
 *
 * Lifecycle:
 *
 *   created ─start()─▶ forming ─(found or join decided)─▶ running ─stop()─▶ stopped
 *                          └────────────────stop()───────────────────────────▲
 *
 * `forming` exists only for an empty data dir (formation.ts); a node with a log starts `running`
 * from it, and the membership it stored wins over `--peers`.
 */
import path from 'node:path';
import { encodeCommand } from '../cluster-state/codec';
import { COMMAND_VERSION, type ApplyResult, type Command } from '../cluster-state/commands';
import type { ReadonlyClusterState } from '../cluster-state/state';
import { RaftHost, ProposalDroppedError, ProposalRejectedError } from '../raft-host/raft-host';
import type { RaftStorage } from '../raft-host/storage';
import { FileRaftStorage } from '../raft-host/wal';
import { RaftLog } from '../raft/log';
import { RaftNode } from '../raft/raft';
import type { ConfChange } from '../raft/membership';
import type { Message, PersistedState } from '../raft/types';
import type { SnapshotStore } from '../snapshot-store/snapshot-store';
import { ClusterTransport } from '../transport/cluster-transport';
import type { PeerIdentity } from '../transport/handshake';
import type { TransportLogger } from '../transport/logger';
import { ClusterStateMachine } from './cluster-state-machine';
import {
  JOIN,
  PROBE,
  REGISTER,
  isJoinRequest,
  isProbeAnswer,
  isRegisterRequest,
  type JoinAnswer,
  type JoinRequest,
  type ProbeAnswer,
  type RegisterAnswer,
} from './control-rpc';
import { decideFormation } from './formation';
import { SNAPSHOT_CHUNK_TOPIC, SnapshotAssembler, needsChunks, toChunks } from './snapshot-chunks';
import { baseNodeId, newIncarnationId, readIdentity, writeIdentity } from './identity';
import { MembershipManager } from './membership-manager';
import { WORKER_METHODS, WorkerControl } from './worker-control';
import type { WorkerReport } from './worker-rpc';
import { WorkerSupervisor } from './worker-supervisor';
import {
  CommandTooLargeError,
  MAX_COMMAND_BYTES,
  MembershipError,
  NoLeaderError,
  NotLeaderError,
  ProposalTimeoutError,
  type CoordinatorMember,
  type CoordinatorService,
  type CoordinatorStatus,
} from './service';

export interface CoordinatorNodeOptions {
  readonly nodeId: string;
  /** `host:port` other nodes dial for the cluster transport. */
  readonly advertiseAddress: string;
  /** Base URL of this node's HTTP API as others reach it. */
  readonly apiUrl: string;
  /** `--peers`, normalized; this node's own address is added when missing. */
  readonly peers: readonly string[];
  readonly clusterName: string;
  readonly vnodes: number;
  readonly clusterSecret: string | null;
  readonly dataDir: string;
  readonly bindHost: string;
  readonly clusterPort: number;
  readonly snapshotStore: SnapshotStore | null;
  readonly snapshotEvery: number;
  readonly logger: TransportLogger;
  /** Milliseconds per Raft tick; elections time out after 10 to 20 ticks. */
  readonly tickMs?: number;
  readonly proposalTimeoutMs?: number;
  /** Storage to use instead of the WAL in `dataDir` (tests: memory). */
  readonly storage?: RaftStorage;
  /** The Raft host failed (a disk write or sync): the process must restart from its disk. */
  readonly onFatal?: (err: unknown) => void;
  /** A worker silent this long is declared dead (`--worker-timeout-ms`); default 2,000. */
  readonly workerTimeoutMs?: number;
}

export type CoordinatorNodeState = 'created' | 'forming' | 'running' | 'stopped';

export const DEFAULT_TICK_MS = 50;
const ELECTION_TICKS = 10;

export class CoordinatorNode implements CoordinatorService {
  private stateValue: CoordinatorNodeState = 'created';
  private storage: RaftStorage | null = null;
  private transport: ClusterTransport | null = null;
  private host: RaftHost | null = null;
  private readonly machine = new ClusterStateMachine();
  private raftId: string;
  private readonly peers: string[];
  private manager: MembershipManager | null = null;
  private joinTimer: NodeJS.Timeout | null = null;
  private readonly reachable = new Set<string>();
  /** API URLs peers told us when they connected: forwarding works before their records apply. */
  private readonly peerApis = new Map<string, string>();
  private lastJoinLog = 0;
  private snapshotSends = 0;
  private readonly snapshotAssembler = new SnapshotAssembler();
  private readonly supervisor: WorkerSupervisor;
  private readonly workerControl: WorkerControl;

  constructor(readonly opts: CoordinatorNodeOptions) {
    this.raftId = opts.nodeId;
    this.peers = [...new Set([...opts.peers, opts.advertiseAddress])].sort();
    const isLeader = (): boolean => this.host?.node.role === 'leader';
    this.supervisor = new WorkerSupervisor({
      state: () => this.machine.state,
      viewRevision: () => this.machine.viewRevision,
      isLeader,
      propose: (cmd) => this.propose(cmd),
      clock: Date.now,
      workerTimeoutMs: opts.workerTimeoutMs ?? 2_000,
      logger: opts.logger,
    });
    this.workerControl = new WorkerControl({
      machine: this.machine,
      supervisor: this.supervisor,
      leader: () => ({ isLeader: isLeader(), leader: this.host?.node.leader ?? null }),
      propose: (cmd) => this.propose(cmd),
    });
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  /** The Raft member id: the node id, or `nodeId#incarnation` after joining with an empty disk. */
  get memberId(): string {
    return this.raftId;
  }

  get lifecycle(): CoordinatorNodeState {
    return this.stateValue;
  }

  get clusterPort(): number | null {
    return this.transport?.port ?? null;
  }

  get raft(): RaftHost | null {
    return this.host;
  }

  /** Opens the data dir and the cluster port, then founds, joins or resumes (see formation.ts). */
  async start(): Promise<void> {
    if (this.stateValue !== 'created') throw new Error(`start() in state ${this.stateValue}`);
    this.stateValue = 'forming';
    const log = this.opts.logger;
    const storage =
      this.opts.storage ??
      (await FileRaftStorage.open(path.join(this.opts.dataDir, 'raft'), { logger: log }));
    this.storage = storage;
    let persisted = await storage.load();
    const identity = this.opts.storage ? null : await readIdentity(this.opts.dataDir);
    if (identity && identity.clusterName !== this.opts.clusterName) {
      throw new Error(
        `${this.opts.dataDir} belongs to cluster "${identity.clusterName}", not "${this.opts.clusterName}"`,
      );
    }
    if (hasLog(persisted)) {
      this.raftId = identity?.raftId ?? this.opts.nodeId;
      await this.openTransport();
      this.warnIfPeersDiffer(persisted);
    } else {
      await this.openTransport();
      const formation = await decideFormation({
        transport: this.requireTransport(),
        nodeId: this.opts.nodeId,
        selfAddress: this.opts.advertiseAddress,
        peers: this.peers,
        logger: log,
        isStopped: () => this.stateValue !== 'forming',
      });
      if (formation === null) return;
      if (formation.mode === 'found') {
        log.info({ voters: formation.voters }, 'founding the cluster');
        persisted = RaftNode.bootstrap(formation.voters);
        await storage.persist(persisted);
      } else {
        // A fresh member id: the log of the running cluster may hold votes of an earlier us.
        this.raftId = newIncarnationId(this.opts.nodeId);
        log.info({ memberId: this.raftId }, 'a cluster is formed already: joining it');
        await this.requireTransport().close();
        this.transport = null;
        persisted = await this.restoreFromStore(storage);
        await this.openTransport();
      }
      if (!this.opts.storage) {
        await writeIdentity(this.opts.dataDir, {
          nodeId: this.opts.nodeId,
          raftId: this.raftId,
          clusterName: this.opts.clusterName,
        });
      }
    }
    if (this.stateValue !== 'forming') return;
    this.startHost(persisted);
    this.stateValue = 'running';
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    this.supervisor.stop();
    if (this.joinTimer) clearInterval(this.joinTimer);
    this.manager?.stop();
    await this.host?.stop();
    await this.transport?.close();
    await this.storage?.close();
  }

  // ------------------------------------------------------------- CoordinatorService

  status(): CoordinatorStatus {
    const node = this.host?.node;
    return {
      nodeId: this.opts.nodeId,
      roles: ['coordinator'],
      clusterName: this.opts.clusterName,
      leader: node?.leader ?? null,
      term: node?.term ?? 0,
      appliedRevision: this.machine.state.appliedRevision,
      ready: (node?.leader ?? null) !== null,
    };
  }

  state(): ReadonlyClusterState {
    return this.machine.state;
  }

  members(): CoordinatorMember[] {
    const node = this.host?.node;
    if (!node) return [];
    const records = this.machine.state.coordinators;
    const ids = [...node.conf.voters, ...node.conf.learners];
    return ids.sort().map((id) => {
      const rec = records.get(id);
      const voter = node.conf.voters.includes(id);
      const self = id === this.raftId;
      const role =
        id === node.leader
          ? 'leader'
          : !voter
            ? 'learner'
            : self && node.role === 'candidate'
              ? 'candidate'
              : 'follower';
      return {
        id,
        address: rec?.address ?? addressOf(id),
        api: rec?.api ?? null,
        role,
        voter,
        reachable: self || this.reachable.has(id),
      };
    });
  }

  async propose<C extends Command>(cmd: C): Promise<ApplyResult<C['kind']>> {
    const host = this.requireLeader();
    const bytes = encodeCommand(cmd);
    if (bytes.length > MAX_COMMAND_BYTES) throw new CommandTooLargeError(bytes.length);
    const result = await this.withTimeout(host.propose(bytes));
    return result as ApplyResult<C['kind']>;
  }

  workerReports(): ReadonlyMap<string, WorkerReport> {
    return this.supervisor.reports();
  }

  async linearizableRead(): Promise<ReadonlyClusterState> {
    const host = this.requireLeader();
    await this.withTimeout(host.readIndex());
    return this.machine.state;
  }

  async addCoordinator(address: string): Promise<{ readonly id: string }> {
    this.requireLeader();
    const transport = this.requireTransport();
    const link = transport.connect(address);
    let peer: PeerIdentity;
    let answer: unknown;
    try {
      peer = link.peer ?? (await link.whenConnected(5000));
      answer = await transport.request(peer.nodeId, PROBE, {}, 3000);
    } catch (err) {
      throw new MembershipError(
        'TREMOR_COORDINATOR_UNREACHABLE',
        `cannot reach a coordinator at ${address}: ${(err as Error).message}`,
      );
    }
    const info = answer as ProbeAnswer;
    await this.admit({
      raftId: info.raftId,
      nodeId: info.nodeId,
      address: info.address,
      api: info.api,
    });
    return { id: info.raftId };
  }

  async removeCoordinator(id: string): Promise<void> {
    const host = this.requireLeader();
    const conf = host.node.conf;
    if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
      if (this.machine.state.coordinators.has(id)) {
        await this.propose({ v: COMMAND_VERSION, kind: 'coordinator.remove', id });
        return;
      }
      throw new MembershipError('TREMOR_COORDINATOR_NOT_FOUND', `no coordinator ${id}`);
    }
    if (conf.voters.length === 1 && conf.voters[0] === id) {
      throw new MembershipError('TREMOR_LAST_COORDINATOR', `${id} is the last voting coordinator`);
    }
    if (id === this.raftId) {
      // A leader does not remove itself: it hands over, and the new leader does the removal.
      const to = await this.transferLeader(null);
      throw new NotLeaderError({ id: to.to, api: this.apiOf(to.to) });
    }
    await this.changeConf({ type: 'remove', node: id });
    if (this.machine.state.coordinators.has(id)) {
      await this.propose({ v: COMMAND_VERSION, kind: 'coordinator.remove', id });
    }
  }

  async transferLeader(to: string | null): Promise<{ readonly to: string }> {
    const host = this.requireLeader();
    const node = host.node;
    const target = to ?? this.bestTransferTarget();
    if (target === null) {
      throw new MembershipError(
        'TREMOR_TRANSFER_FAILED',
        'no other voting coordinator to hand over to',
      );
    }
    if (target === this.raftId) return { to: target };
    try {
      host.transferLeadership(target);
    } catch (err) {
      throw new MembershipError('TREMOR_TRANSFER_FAILED', (err as Error).message);
    }
    const deadline = Date.now() + (this.opts.proposalTimeoutMs ?? 5000);
    while (Date.now() < deadline) {
      if (node.leader === target) return { to: target };
      await sleep(20);
    }
    throw new MembershipError('TREMOR_TRANSFER_FAILED', `${target} did not take over in time`);
  }

  // ------------------------------------------------------------- membership (leader)

  /** Leader side of a join: record the member, then add it as a learner. Idempotent. */
  async admit(req: JoinRequest): Promise<void> {
    const host = this.requireLeader();
    const rec = this.machine.state.coordinators.get(req.raftId);
    if (rec && (rec.address !== req.address || rec.api !== req.api)) {
      await this.propose({ v: COMMAND_VERSION, kind: 'coordinator.remove', id: req.raftId });
    }
    if (!rec || rec.address !== req.address || rec.api !== req.api) {
      await this.propose({
        v: COMMAND_VERSION,
        kind: 'coordinator.add',
        id: req.raftId,
        address: req.address,
        api: req.api,
      });
    }
    this.requireTransport().connect(req.address);
    const conf = host.node.conf;
    if (conf.voters.includes(req.raftId) || conf.learners.includes(req.raftId)) return;
    await this.changeConf({ type: 'add-learner', node: req.raftId });
  }

  /** Proposes one membership change and waits until it is applied here. */
  async changeConf(cc: ConfChange): Promise<void> {
    const host = this.requireLeader();
    this.opts.logger.info({ change: cc }, 'proposing a membership change');
    await this.withTimeout(host.proposeConfChange(cc));
  }

  // ------------------------------------------------------------- internals

  private startHost(persisted: PersistedState): void {
    const transport = this.requireTransport();
    const storage = this.storage;
    if (storage === null) throw new Error('storage not open');
    this.host = new RaftHost({
      id: this.raftId,
      storage,
      persisted,
      stateMachine: this.machine,
      send: (m: Message) => this.sendRaft(transport, m),
      tickMs: this.opts.tickMs ?? DEFAULT_TICK_MS,
      raft: { electionTicks: ELECTION_TICKS, heartbeatTicks: 1 },
      snapshotEvery: this.opts.snapshotEvery,
      logger: this.opts.logger,
      onChange: () => this.onChange(),
      onSnapshot: (s) => {
        const store = this.opts.snapshotStore;
        if (!store) return;
        store.save(s).then(
          (saved: boolean) => {
            if (saved)
              this.opts.logger.info({ index: s.meta.index }, 'snapshot copied to the store');
          },
          (err: unknown) =>
            this.opts.logger.warn({ err, index: s.meta.index }, 'snapshot store save failed'),
        );
      },
      onFatal: (err) => {
        // Nothing written after a failed sync can be vouched for: restart from the disk.
        void this.stop().finally(() => this.opts.onFatal?.(err));
      },
    });
    this.host.start();
    this.manager = new MembershipManager(this, this.opts.logger);
    this.manager.start();
    if (!this.memberOfConf()) this.startJoinLoop();
    this.connectToKnownAddresses();
  }

  private sendRaft(transport: ClusterTransport, m: Message): void {
    if (!needsChunks(m)) {
      if (!transport.send(m.to, m)) this.host?.reportUnreachable(m.to);
      return;
    }
    const id = `${m.term}-${m.snapshot?.meta.index ?? 0}-${++this.snapshotSends}`;
    for (const chunk of toChunks(m, id)) {
      if (!transport.push(m.to, SNAPSHOT_CHUNK_TOPIC, chunk)) {
        this.host?.reportUnreachable(m.to);
        return;
      }
    }
  }

  private async openTransport(): Promise<void> {
    const transport = new ClusterTransport({
      nodeId: this.raftId,
      role: 'coordinator',
      clusterName: this.opts.clusterName,
      secret: this.opts.clusterSecret,
      logger: this.opts.logger,
    });
    transport.onRaft((from, msg) => {
      if (msg.to !== this.raftId || msg.from !== from.nodeId) return;
      this.host?.step(msg);
    });
    transport.onRequest((from, method, body) => this.onRequest(from, method, body));
    transport.onPush((from, topic, body) => {
      if (topic !== SNAPSHOT_CHUNK_TOPIC || from.role !== 'coordinator') return;
      const msg = this.snapshotAssembler.accept(from.nodeId, body);
      if (msg !== null && msg.to === this.raftId) this.host?.step(msg);
    });
    transport.onPeer((event, peer) => {
      if (event === 'up') {
        this.reachable.add(peer.nodeId);
        if (peer.role === 'coordinator') this.learnApiOf(transport, peer.nodeId);
      } else if (!transport.isConnected(peer.nodeId)) {
        this.reachable.delete(peer.nodeId);
      }
    });
    await transport.listen(this.opts.bindHost, this.opts.clusterPort);
    this.transport = transport;
    for (const p of this.peers) if (p !== this.opts.advertiseAddress) transport.connect(p);
  }

  private onRequest(_from: PeerIdentity, method: string, body: unknown): Promise<unknown> {
    switch (method) {
      case PROBE:
        return Promise.resolve(this.probeAnswer());
      case JOIN:
        if (!isJoinRequest(body)) return Promise.reject(new Error('malformed join request'));
        return this.onJoin(body);
      case REGISTER:
        if (!isRegisterRequest(body))
          return Promise.reject(new Error('malformed register request'));
        return this.onRegister(body.raftId, body.address, body.api);
      default:
        if (WORKER_METHODS.has(method)) return this.workerControl.handle(method, body);
        return Promise.reject(new Error(`unknown method ${method}`));
    }
  }

  probeAnswer(): ProbeAnswer {
    const log = this.host?.node.log;
    return {
      raftId: this.raftId,
      nodeId: this.opts.nodeId,
      address: this.opts.advertiseAddress,
      api: this.opts.apiUrl,
      peers: this.peers,
      formed: log !== undefined && (log.committed > 1 || log.snapshot !== null),
    };
  }

  private async onJoin(req: JoinRequest): Promise<JoinAnswer> {
    const node = this.host?.node;
    if (!node || node.role !== 'leader') {
      return { admitted: false, leader: node?.leader ?? null, reason: 'not the leader' };
    }
    const conf = node.conf;
    const known = [...conf.voters, ...conf.learners, ...this.machine.state.coordinators.keys()];
    const replaces = known.some((id) => baseNodeId(id) === req.nodeId && id !== req.raftId);
    const already = conf.voters.includes(req.raftId) || conf.learners.includes(req.raftId);
    if (!replaces && !already) {
      return {
        admitted: false,
        leader: node.leader,
        reason: `${req.nodeId} is not a member; add it with POST /v1/cluster/coordinators { "address": "${req.address}" }`,
      };
    }
    try {
      await this.admit(req);
      return { admitted: true };
    } catch (err) {
      return { admitted: false, leader: node.leader, reason: (err as Error).message };
    }
  }

  private async onRegister(raftId: string, address: string, api: string): Promise<RegisterAnswer> {
    const node = this.host?.node;
    if (!node || node.role !== 'leader') {
      return { ok: false, leader: node?.leader ?? null, reason: 'not the leader' };
    }
    if (!node.conf.voters.includes(raftId) && !node.conf.learners.includes(raftId)) {
      return { ok: false, leader: node.leader, reason: `${raftId} is not a member` };
    }
    try {
      await this.registerRecord(raftId, address, api);
      return { ok: true };
    } catch (err) {
      return { ok: false, leader: node.leader, reason: (err as Error).message };
    }
  }

  /** Leader: make the cluster state's record of `raftId` hold these addresses. */
  async registerRecord(raftId: string, address: string, api: string): Promise<void> {
    const rec = this.machine.state.coordinators.get(raftId);
    if (rec && rec.address === address && rec.api === api) return;
    if (rec) await this.propose({ v: COMMAND_VERSION, kind: 'coordinator.remove', id: raftId });
    await this.propose({ v: COMMAND_VERSION, kind: 'coordinator.add', id: raftId, address, api });
  }

  /** Follower or leader: make sure the cluster state lists this node with its current addresses. */
  async registerSelf(): Promise<void> {
    const node = this.host?.node;
    if (!node || node.leader === null || !this.memberOfConf()) return;
    const rec = this.machine.state.coordinators.get(this.raftId);
    if (rec && rec.address === this.opts.advertiseAddress && rec.api === this.opts.apiUrl) return;
    if (node.role === 'leader') {
      await this.registerRecord(this.raftId, this.opts.advertiseAddress, this.opts.apiUrl);
      return;
    }
    await this.requireTransport().request(
      node.leader,
      REGISTER,
      { raftId: this.raftId, address: this.opts.advertiseAddress, api: this.opts.apiUrl },
      3000,
    );
  }

  /** A joining node asks, until it is a member, to be let in. */
  private startJoinLoop(): void {
    const ask = async (): Promise<void> => {
      if (this.memberOfConf()) {
        if (this.joinTimer) clearInterval(this.joinTimer);
        this.joinTimer = null;
        return;
      }
      const transport = this.requireTransport();
      const req: JoinRequest = {
        raftId: this.raftId,
        nodeId: this.opts.nodeId,
        address: this.opts.advertiseAddress,
        api: this.opts.apiUrl,
      };
      let reason = 'no coordinator reachable';
      for (const peer of transport.connectedPeers()) {
        if (peer.role !== 'coordinator') continue;
        try {
          const answer = (await transport.request(peer.nodeId, JOIN, req, 5000)) as JoinAnswer;
          if (answer.admitted) return;
          reason = answer.reason;
        } catch (err) {
          reason = (err as Error).message;
        }
      }
      if (Date.now() - this.lastJoinLog > 10_000) {
        this.lastJoinLog = Date.now();
        this.opts.logger.warn(
          { memberId: this.raftId, reason },
          'waiting to be added to the cluster',
        );
      }
    };
    this.joinTimer = setInterval(() => void ask(), 1000);
    void ask();
  }

  private memberOfConf(): boolean {
    const conf = this.host?.node.conf;
    return (
      conf !== undefined &&
      (conf.voters.includes(this.raftId) || conf.learners.includes(this.raftId))
    );
  }

  private onChange(): void {
    this.connectToKnownAddresses();
  }

  /** Keeps a link to every coordinator address the state or `--peers` knows. */
  private connectToKnownAddresses(): void {
    const transport = this.transport;
    if (!transport || transport.state !== 'open') return;
    for (const c of this.machine.state.coordinators.values()) {
      if (c.id !== this.raftId && c.address !== this.opts.advertiseAddress)
        transport.connect(c.address);
    }
  }

  private async restoreFromStore(storage: RaftStorage): Promise<PersistedState> {
    const store = this.opts.snapshotStore;
    const empty: PersistedState = {
      hardState: { term: 0, vote: null, commit: 0 },
      snapshot: null,
      entries: [],
    };
    if (!store) return empty;
    const snap = await store.latest();
    if (!snap) {
      this.opts.logger.info({}, 'no snapshot in the store; catching up from the leader');
      return empty;
    }
    this.opts.logger.info(
      { index: snap.meta.index, term: snap.meta.term },
      'restored the latest snapshot from the store',
    );
    // This member id has never voted: any term with no vote is a truthful hard state.
    const persisted: PersistedState = {
      hardState: { term: snap.meta.term, vote: null, commit: snap.meta.index },
      snapshot: snap,
      entries: [],
    };
    await storage.persist({ snapshot: snap, entries: [], hardState: persisted.hardState });
    return persisted;
  }

  private warnIfPeersDiffer(persisted: PersistedState): void {
    const log = new RaftLog(persisted);
    const conf = log.confAt(log.lastIndex());
    const stored = conf.voters.map((id) => addressOf(id) ?? id).sort();
    if (stored.join(',') !== this.peers.join(',')) {
      this.opts.logger.warn(
        { stored, flags: this.peers },
        'the stored membership differs from --peers; the stored membership wins (change it through the API)',
      );
    }
  }

  private bestTransferTarget(): string | null {
    const node = this.host?.node;
    if (!node) return null;
    let best: string | null = null;
    let bestMatch = -1;
    for (const id of node.conf.voters) {
      if (id === this.raftId) continue;
      const match = node.progressOf(id)?.match ?? -1;
      if (match > bestMatch && this.reachable.has(id)) {
        best = id;
        bestMatch = match;
      }
    }
    return best;
  }

  private apiOf(id: string): string | null {
    return this.machine.state.coordinators.get(id)?.api ?? this.peerApis.get(id) ?? null;
  }

  private learnApiOf(transport: ClusterTransport, id: string): void {
    transport.request(id, PROBE, {}, 3000).then(
      (answer) => {
        if (isProbeAnswer(answer) && answer.raftId === id) this.peerApis.set(id, answer.api);
      },
      () => {
        // It went away again; the next connection asks again.
      },
    );
  }

  private requireTransport(): ClusterTransport {
    if (this.transport === null) throw new NoLeaderError();
    return this.transport;
  }

  private requireLeader(): RaftHost {
    const host = this.host;
    if (host === null || host.state !== 'running') throw new NoLeaderError();
    const node = host.node;
    if (node.role === 'leader') return host;
    if (node.leader === null || node.leader === this.raftId) throw new NoLeaderError();
    throw new NotLeaderError({ id: node.leader, api: this.apiOf(node.leader) });
  }

  private async withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.opts.proposalTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProposalTimeoutError(ms)), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (err) {
      throw this.translate(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private translate(err: unknown): unknown {
    if (err instanceof ProposalDroppedError) return new NoLeaderError();
    if (err instanceof ProposalRejectedError) {
      switch (err.reason) {
        case 'not-leader':
          return err.leader && err.leader !== this.raftId
            ? new NotLeaderError({ id: err.leader, api: this.apiOf(err.leader) })
            : new NoLeaderError();
        case 'transferring':
        case 'stopped':
        case 'no-commit-in-term':
          return new NoLeaderError();
        case 'conf-change-pending':
          return new MembershipError(
            'TREMOR_MEMBERSHIP_CHANGE_PENDING',
            'another membership change is in progress; retry once it completes',
          );
        case 'invalid-conf-change':
          return new MembershipError('TREMOR_MEMBERSHIP_CHANGE_INVALID', err.message);
      }
    }
    return err;
  }
}

function hasLog(p: PersistedState): boolean {
  return p.snapshot !== null || p.entries.length > 0 || p.hardState.term > 0;
}

/** A member id that is a default node id (`host:port`, maybe with an incarnation) names its address. */
function addressOf(id: string): string | null {
  const base = baseNodeId(id);
  return /^[^:\s]+:\d+$|^\[[^\]]+\]:\d+$/.test(base) ? base : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
