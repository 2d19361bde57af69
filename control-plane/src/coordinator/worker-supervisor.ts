/**
 * The leader's care of workers: failure detection, placement, and the end of a drain. It runs on
 * every coordinator and acts only while that coordinator leads; every decision is a Raft command,
 * so a new leader continues from the committed state.
 *
 * Failure detection: heartbeats stay off the log (they would flood it), so each leader keeps the
 * time it last heard from each worker in memory. A worker silent for half of `workerTimeoutMs` is
 * `suspect` (it keeps its vnodes), silent for all of it `dead` (its vnodes move). A new leader has
 * heard from nobody yet: it counts every worker as heard at the moment it took over, a grace
 * period of one timeout before anyone is declared dead.
 */
import { COMMAND_VERSION, type ApplyResult, type Command } from '../cluster-state/commands';
import { vnodesOwnedBy } from '../cluster-state/queries';
import type { ReadonlyClusterState, WorkerStatus } from '../cluster-state/state';
import type { Logger } from '../logger';
import { planPlacement } from '../placement/placement';
import type { WorkerReport } from './worker-rpc';

export interface WorkerSupervisorOptions {
  readonly state: () => ReadonlyClusterState;
  /** Changes whenever workers, vnodes or flows change: placement is planned only then. */
  readonly viewRevision: () => number;
  readonly isLeader: () => boolean;
  readonly propose: <C extends Command>(cmd: C) => Promise<ApplyResult<C['kind']>>;
  readonly clock: () => number;
  readonly workerTimeoutMs: number;
  readonly logger: Logger;
}

export class WorkerSupervisor {
  private readonly lastHeard = new Map<string, number>();
  private readonly reportsValue = new Map<string, WorkerReport>();
  /** When this node became leader (the grace period's start); null while it follows. */
  private leaderSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  /** The view revision of the last plan that found nothing to move. */
  private settledAt: number | null = null;

  constructor(private readonly options: WorkerSupervisorOptions) {}

  start(): void {
    const every = Math.max(20, Math.floor(this.options.workerTimeoutMs / 10));
    this.timer ??= setInterval(() => void this.check(), every);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** What each worker last reported (this node leads; empty otherwise). */
  reports(): ReadonlyMap<string, WorkerReport> {
    return this.reportsValue;
  }

  /** A worker's heartbeat reached this (leading) coordinator. */
  heard(workerId: string, report: WorkerReport | null = null): WorkerStatus | 'unknown' {
    this.lastHeard.set(workerId, this.options.clock());
    if (report !== null) this.reportsValue.set(workerId, report);
    return this.options.state().workers.get(workerId)?.state ?? 'unknown';
  }

  /** One round: runs on the timer; exposed so tests can drive it. */
  async check(): Promise<void> {
    if (!this.options.isLeader()) {
      this.leaderSince = null;
      this.settledAt = null;
      this.lastHeard.clear();
      this.reportsValue.clear();
      return;
    }
    const now = this.options.clock();
    this.leaderSince ??= now;
    if (this.busy) return;
    this.busy = true;
    try {
      await this.detectFailures(now);
      await this.finishDrains();
      await this.place();
    } catch (err) {
      // Lost leadership or a proposal timed out: the next round starts from the committed state.
      this.options.logger.debug({ err: String(err) }, 'worker supervision round did not finish');
    } finally {
      this.busy = false;
    }
  }

  private async detectFailures(now: number): Promise<void> {
    const timeout = this.options.workerTimeoutMs;
    for (const worker of this.options.state().workers.values()) {
      if (worker.state === 'dead' || worker.state === 'left') continue;
      const heard = Math.max(this.lastHeard.get(worker.id) ?? 0, this.leaderSince ?? now);
      const silent = now - heard;
      let next: WorkerStatus | null = null;
      if (silent > timeout) next = 'dead';
      else if (silent > timeout / 2 && worker.state === 'alive') next = 'suspect';
      else if (silent <= timeout / 2 && worker.state === 'suspect') next = 'alive';
      if (next === null) continue;
      this.options.logger.info(
        { worker: worker.id, from: worker.state, to: next, silentMs: silent },
        next === 'dead'
          ? 'worker declared dead: its vnodes move'
          : `worker ${next === 'suspect' ? 'is suspect' : 'is back'}`,
      );
      await this.options.propose({
        v: COMMAND_VERSION,
        kind: 'worker.set-state',
        id: worker.id,
        state: next,
      });
    }
  }

  private async finishDrains(): Promise<void> {
    const state = this.options.state();
    for (const worker of state.workers.values()) {
      if (worker.state !== 'draining' || vnodesOwnedBy(state, worker.id).length > 0) continue;
      this.options.logger.info({ worker: worker.id }, 'worker drained: it has left');
      await this.options.propose({ v: COMMAND_VERSION, kind: 'worker.leave', id: worker.id });
    }
  }

  private async place(): Promise<void> {
    const state = this.options.state();
    const revision = this.options.viewRevision();
    if (state.vnodeCount === 0 || this.settledAt === revision) return;
    const moves = planPlacement({ vnodes: state.vnodes, workers: state.workers });
    if (moves.length === 0) {
      this.settledAt = revision;
      return;
    }
    const result = await this.options.propose({ v: COMMAND_VERSION, kind: 'vnode.assign', moves });
    if (result.ok) {
      this.options.logger.info({ moves: result.data.moved.length }, 'vnodes placed');
    }
  }
}
