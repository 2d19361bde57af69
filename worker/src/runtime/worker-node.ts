/**
 * One worker process's membership and reconciliation (DESIGN: "Workers"): join the cluster,
 * heartbeat the leader, watch the committed state, and make this worker run what the state says:
 * a FlowRuntime per flow, and in each a consumer per vnode it owns, at that vnode's epoch.
 *
 * Lifecycle:
 *   created ─start()─▶ joining ─▶ running ─leave()─▶ leaving ─▶ stopped
 *                        ▲            │ (declared dead: stops its consumers, joins again)
 *                        └────────────┘
 *
 * A worker that learns it was declared dead stops consuming at once: its vnodes were given to
 * others (their epochs fence it out anyway), and it must join again before it owns any.
 */
import { validateFlowSpec } from '../../../control-plane/src/flow-spec';
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import type { Logger } from '../../../control-plane/src/logger';
import {
  WORKER_HEARTBEAT,
  WORKER_JOIN,
  WORKER_LEAVE,
  WORKER_WATCH,
  type WorkerHeartbeatAnswer,
  type WorkerJoinAnswer,
  type WorkerLeaveAnswer,
  type WorkerReport,
  type WorkerView,
  type WorkerWatchAnswer,
} from '../../../control-plane/src/coordinator/worker-rpc';
import type { PipelineCounters } from '../flows/pipeline-counters';
import type { EventTransport } from '../transport/event-transport';
import { CoordinatorClient } from './coordinator-client';
import { FlowRuntime } from './flow-runtime';
import { NO_WORKER_METRICS, type TakeoverKind, type WorkerMetrics } from './worker-metrics';
import type { WorkerFlows } from './worker-flows';

export type WorkerNodeState = 'created' | 'joining' | 'running' | 'leaving' | 'stopped';

export interface WorkerNodeOptions {
  readonly workerId: string;
  /** Base URL of this worker's HTTP API as others reach it. */
  readonly api: string;
  readonly coordinators: readonly string[];
  readonly clusterName: string;
  readonly clusterSecret: string | null;
  readonly vnodeCount: number;
  readonly transport: EventTransport;
  readonly flows: WorkerFlows;
  readonly redisUrl: string;
  readonly logger: Logger;
  readonly counters?: PipelineCounters | null;
  /** The cluster's `--worker-timeout-ms`: heartbeats go out four times per timeout. */
  readonly workerTimeoutMs?: number;
  /** How long a graceful leave waits for the vnodes to be handed off; default 10 s. */
  readonly leaveTimeoutMs?: number;
  readonly metrics?: WorkerMetrics;
  /** Passed to every FlowRuntime (tests shorten timers). */
  readonly flowOptions?: Partial<ConstructorParameters<typeof FlowRuntime>[0]>;
}

/** A join refused for a reason retrying cannot fix (cluster name, vnode count). */
export class JoinRefusedError extends Error {
  constructor(reason: string) {
    super(`the cluster refused this worker: ${reason}`);
    this.name = 'JoinRefusedError';
  }
}

/** The logger given carries the worker id already (run-worker.ts): messages do not repeat it. */
export class WorkerNode {
  private stateValue: WorkerNodeState = 'created';
  private readonly client: CoordinatorClient;
  private heartbeat: NodeJS.Timeout | null = null;
  private watching: Promise<void> | null = null;
  private view: WorkerView | null = null;
  /** Flow id → the spec revision its runtime runs. */
  private readonly running = new Map<string, number>();
  /** Flow id → its runtime's spec as JSON: a new revision with the same spec (a pause, a resume,
   * the same file applied again) keeps the runtime, so its sources never stop taking events. */
  private readonly runningSpecs = new Map<string, string>();
  private reconciling: Promise<void> = Promise.resolve();
  private needsJoin = false;
  /** Backlog of the vnodes this worker owns, summed over flows; refreshed every second. */
  private backlog: Record<string, number> = {};
  private backlogTimer: NodeJS.Timeout | null = null;
  /** The vnodes owned after the last reconcile, with their epochs. */
  private owned = new Map<number, number>();

  constructor(private readonly options: WorkerNodeOptions) {
    this.client = new CoordinatorClient({
      workerId: options.workerId,
      coordinators: options.coordinators,
      clusterName: options.clusterName,
      clusterSecret: options.clusterSecret,
      logger: options.logger,
    });
  }

  get state(): WorkerNodeState {
    return this.stateValue;
  }

  get id(): string {
    return this.options.workerId;
  }

  /** The leader as this worker last heard from it, with its API when the view lists it. */
  get leader(): { readonly id: string; readonly api: string | null } | null {
    const id = this.client.leaderId;
    if (id === null) return null;
    return { id, api: this.view?.coordinators.find((c) => c.id === id)?.api ?? null };
  }

  /** The last view of the cluster state this worker reconciled to. */
  get lastView(): WorkerView | null {
    return this.view;
  }

  /** Joins (retrying until a leader answers), then heartbeats and watches in the background. */
  async start(): Promise<void> {
    if (this.stateValue !== 'created') throw new Error(`start() in state ${this.stateValue}`);
    this.stateValue = 'joining';
    await this.join();
    if (this.stateValue !== 'joining') return;
    this.stateValue = 'running';
    const every = Math.max(50, Math.floor((this.options.workerTimeoutMs ?? 2_000) / 4));
    this.heartbeat = setInterval(() => void this.beat(), every);
    this.backlogTimer = setInterval(() => void this.measureBacklog(), 1_000);
    this.watching = this.watch();
  }

  /**
   * Graceful leave: asks to be drained, keeps running its vnodes until they moved away (bounded
   * by leaveTimeoutMs), then stops.
   */
  async leave(): Promise<void> {
    if (this.stateValue === 'running') {
      this.stateValue = 'leaving';
      const deadline = Date.now() + (this.options.leaveTimeoutMs ?? 10_000);
      try {
        for (;;) {
          const answer = await this.client.request<WorkerLeaveAnswer>(
            WORKER_LEAVE,
            { workerId: this.id },
            2_000,
            Math.max(1, deadline - Date.now()),
          );
          if (!answer.ok || answer.state === 'left' || answer.state === 'unknown') break;
          if (Date.now() > deadline) {
            this.options.logger.warn(
              { owned: answer.owned },
              'leave: vnodes not handed off in time; stopping anyway (their events wait for the next owner)',
            );
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } catch (err) {
        this.options.logger.warn(
          { err: String(err) },
          'leave: no leader answered; stopping anyway',
        );
      }
    }
    await this.stop();
  }

  /** Stops at once: consumers finish their batch in hand; nothing is handed off first. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    await this.client.close();
    await this.watching?.catch(() => {});
    await this.reconciling;
    await this.options.flows.stopAll();
  }

  private async join(): Promise<void> {
    for (;;) {
      if (this.stateValue === 'stopped') return;
      try {
        const answer = await this.client.request<WorkerJoinAnswer>(
          WORKER_JOIN,
          {
            workerId: this.id,
            api: this.options.api,
            clusterName: this.options.clusterName,
            vnodeCount: this.options.vnodeCount,
          },
          5_000,
          5_000,
        );
        if (answer.ok) {
          this.options.logger.info({}, 'joined the cluster');
          return;
        }
        if (answer.code === 'refused' && answer.permanent)
          throw new JoinRefusedError(answer.reason);
        if (answer.code === 'refused') {
          this.options.logger.info({ reason: answer.reason }, 'join: not yet; retrying');
          await new Promise((r) => setTimeout(r, 200));
        }
      } catch (err) {
        if (err instanceof JoinRefusedError) throw err;
        this.options.logger.warn({ err: String(err) }, 'join: no leader answered yet; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async beat(): Promise<void> {
    if (this.stateValue !== 'running' && this.stateValue !== 'leaving') return;
    try {
      const answer = await this.client.request<WorkerHeartbeatAnswer>(
        WORKER_HEARTBEAT,
        { workerId: this.id, report: this.report() },
        1_000,
        1_000,
      );
      if (answer.ok && (answer.state === 'dead' || answer.state === 'unknown')) {
        this.needsJoin = this.stateValue === 'running';
      }
    } catch {
      // Missed beats are what the leader's failure detector is for.
    }
  }

  /** For status: the flows this worker runs (at which revision) and its vnodes' backlog. */
  private report(): WorkerReport {
    return { flows: Object.fromEntries(this.running), backlog: this.backlog };
  }

  private async measureBacklog(): Promise<void> {
    const view = this.view;
    if (view === null) return;
    const backlog: Record<string, number> = {};
    try {
      for (const [vnode, v] of view.vnodes.entries()) {
        if (v.owner !== this.id) continue;
        let sum = 0;
        for (const flow of this.running.keys()) {
          sum += await this.options.transport.backlog(flow, vnode);
        }
        backlog[String(vnode)] = sum;
        this.options.metrics?.backlog(vnode, sum);
      }
      this.backlog = backlog;
    } catch {
      // Redis unreachable: keep the last figures; the consumers log the outage.
    }
  }

  private async watch(): Promise<void> {
    let since = 0;
    while (this.stateValue === 'running' || this.stateValue === 'leaving') {
      try {
        if (this.needsJoin) await this.rejoin();
        const answer = await this.client.request<WorkerWatchAnswer>(
          WORKER_WATCH,
          { since, waitMs: 5_000 },
          7_000,
          7_000,
        );
        if (!answer.ok) continue;
        since = answer.view.revision;
        this.view = answer.view;
        this.reconciling = this.reconciling
          .then(() => this.reconcile(answer.view))
          .catch((err: unknown) => {
            this.options.logger.error(
              { err: String(err) },
              'reconcile failed; the next view retries',
            );
          });
        await this.reconciling;
      } catch (err) {
        if ((this.stateValue as WorkerNodeState) === 'stopped') return;
        this.options.logger.warn({ err: String(err) }, 'watch: no answer; retrying');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Declared dead while alive: stop consuming everything, then join again. */
  private async rejoin(): Promise<void> {
    this.options.logger.warn({}, 'this worker was declared dead; joining again');
    this.needsJoin = false;
    for (const id of this.running.keys()) await this.options.flows.get(id)?.own(new Map());
    await this.join();
  }

  private async reconcile(view: WorkerView): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const me = view.workers.find((w) => w.id === this.id);
    // Declared dead (or forgotten): join again. Drained (`left`): stay idle until restarted.
    if (this.stateValue === 'running' && (me === undefined || me.state === 'dead')) {
      this.needsJoin = true;
    }
    const owned = new Map<number, number>();
    const planned = new Set<number>();
    const live = new Set(
      view.workers.filter((w) => w.state === 'alive' || w.state === 'draining').map((w) => w.id),
    );
    if (!this.needsJoin && me?.state !== 'left') {
      view.vnodes.forEach((v, vnode) => {
        if (v.owner !== this.id) return;
        owned.set(vnode, v.epoch);
        // Moved from a live worker: it hands the vnode off; wait for that rather than fence it.
        if (v.previous !== null && v.previous !== this.id && live.has(v.previous))
          planned.add(vnode);
      });
    }
    this.countTakeovers(view, owned, planned);
    const wanted = new Set(view.flows.map((f) => f.id));
    for (const id of [...this.running.keys()]) {
      if (wanted.has(id)) continue;
      this.running.delete(id);
      this.runningSpecs.delete(id);
      await this.options.flows.stop(id);
      this.options.logger.info({ flow: id }, 'flow stopped (deleted)');
    }
    for (const flow of view.flows) {
      const specJson = JSON.stringify(flow.spec);
      if (
        this.running.get(flow.id) !== flow.revision &&
        this.runningSpecs.get(flow.id) === specJson &&
        this.options.flows.get(flow.id) !== undefined
      ) {
        this.running.set(flow.id, flow.revision);
      } else if (this.running.get(flow.id) !== flow.revision) {
        const spec = this.validSpec(flow.id, flow.spec);
        if (spec === null) continue;
        const runtime = new FlowRuntime({
          spec,
          vnodes: view.vnodeCount,
          transport: this.options.transport,
          worker: this.id,
          redisUrl: this.options.redisUrl,
          clock: Date.now,
          logger: this.options.logger,
          counters: this.options.counters ?? null,
          ...this.options.flowOptions,
        });
        // Replacing a flow: its old runtime stops first (batches finished), then the new one starts.
        await this.options.flows.run(runtime);
        this.running.set(flow.id, flow.revision);
        this.runningSpecs.set(flow.id, specJson);
        this.options.logger.info({ flow: flow.id, revision: flow.revision }, 'flow running');
      }
      await this.options.flows
        .get(flow.id)
        ?.own(flow.status === 'running' ? owned : new Map(), planned);
    }
  }

  private countTakeovers(
    view: WorkerView,
    owned: ReadonlyMap<number, number>,
    planned: ReadonlySet<number>,
  ): void {
    const metrics = this.options.metrics ?? NO_WORKER_METRICS;
    const taken: Record<TakeoverKind, number> = { handoff: 0, takeover: 0, unowned: 0 };
    for (const [vnode, epoch] of owned) {
      if (this.owned.get(vnode) === epoch) continue;
      const previous = view.vnodes[vnode]?.previous ?? null;
      if (planned.has(vnode)) taken.handoff++;
      else if (previous === null || previous === this.id) taken.unowned++;
      else taken.takeover++;
    }
    for (const kind of ['handoff', 'takeover', 'unowned'] as const) {
      if (taken[kind] > 0) metrics.tookVnodes(kind, taken[kind]);
    }
    for (const vnode of this.owned.keys()) if (!owned.has(vnode)) metrics.forget(vnode);
    metrics.vnodesOwned(owned.size);
    this.owned = new Map(owned);
  }

  private validSpec(id: string, spec: unknown): FlowSpec | null {
    const res = validateFlowSpec(spec);
    if (res.ok) return res.value;
    this.options.logger.error(
      { flow: id, problems: res.problems },
      'flow spec does not validate on this worker (another release?); not running it',
    );
    return null;
  }
}
