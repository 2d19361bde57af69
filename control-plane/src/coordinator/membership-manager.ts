/**
 * Housekeeping that follows from the membership, run a few times a second:
 *
 * - the leader writes the cluster's name and vnode count once (the `bootstrap` command);
 * - the leader promotes a learner once it has caught up. A learner that is a new incarnation of a
 *   voter (same node id, its disk was replaced) first takes that voter out, then is promoted, so
 *   the group never counts a dead member and its replacement at the same time;
 * - every member makes sure the cluster state lists it with its current addresses.
 *
 * One change at a time: the Raft core refuses a second membership change while one is pending.
 */
import { COMMAND_VERSION } from '../cluster-state/commands';
import type { CoordinatorNode } from './coordinator-node';
import { baseNodeId } from './identity';
import type { Logger } from '../logger';

/** How far behind the commit index a learner may be and still count as caught up. */
const CATCH_UP_SLACK = 16;

export class MembershipManager {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly node: CoordinatorNode,
    private readonly logger: Logger,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async round(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.leaderDuties();
      await this.node.registerSelf();
    } catch (err) {
      // Leadership moves and timeouts are expected here; the next round tries again.
      this.logger.debug({ err }, 'membership round did not finish');
    } finally {
      this.busy = false;
    }
  }

  private async leaderDuties(): Promise<void> {
    const host = this.node.raft;
    if (!host || host.node.role !== 'leader') return;
    const state = this.node.state();
    if (state.name === null) {
      const { clusterName, vnodes } = this.node.opts;
      this.logger.info({ name: clusterName, vnodes }, 'writing the cluster name and vnode count');
      await this.node.propose({
        v: COMMAND_VERSION,
        kind: 'bootstrap',
        name: clusterName,
        vnodeCount: vnodes,
      });
      return;
    }
    if (state.vnodeCount !== this.node.opts.vnodes && !this.warnedVnodes) {
      this.warnedVnodes = true;
      this.logger.warn(
        { cluster: state.vnodeCount, flag: this.node.opts.vnodes },
        '--no-of-vnodes differs from the count the cluster was formed with; the cluster keeps its own',
      );
    }
    const raft = host.node;
    const conf = raft.conf;
    for (const learner of conf.learners) {
      const match = raft.progressOf(learner)?.match ?? 0;
      if (match + CATCH_UP_SLACK < raft.log.committed) continue;
      const predecessor = conf.voters.find(
        (v) => v !== learner && baseNodeId(v) === baseNodeId(learner),
      );
      if (predecessor !== undefined) {
        this.logger.info({ old: predecessor, new: learner }, 'replacing an earlier incarnation');
        await this.node.removeCoordinator(predecessor);
      } else {
        this.logger.info({ learner, match }, 'promoting a caught-up learner to voter');
        await this.node.changeConf({ type: 'add-voter', node: learner });
      }
      return;
    }
  }

  private warnedVnodes = false;
}
