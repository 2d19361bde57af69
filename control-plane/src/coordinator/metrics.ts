/**
 * The coordinator's own Prometheus metrics, read from the node when scraped (collect callbacks),
 * so nothing on the Raft path pays for them.
 */
import { Gauge, type Registry } from 'prom-client';
import type { CoordinatorNode } from './coordinator-node';

export function registerCoordinatorMetrics(registry: Registry, node: CoordinatorNode): void {
  const raft = (): CoordinatorNode['raft'] => node.raft;
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('tremor_raft_term', 'Current Raft term of this coordinator.', () => raft()?.node.term ?? 0);
  gauge('tremor_raft_is_leader', '1 while this coordinator is the Raft leader.', () =>
    raft()?.node.role === 'leader' ? 1 : 0,
  );
  gauge('tremor_raft_leader_known', '1 while this coordinator knows a leader.', () =>
    (raft()?.node.leader ?? null) === null ? 0 : 1,
  );
  gauge(
    'tremor_raft_commit_index',
    'Highest Raft index known committed.',
    () => raft()?.node.log.committed ?? 0,
  );
  gauge(
    'tremor_raft_applied_index',
    'Highest Raft index applied to the cluster state.',
    () => raft()?.appliedIndex ?? 0,
  );
  gauge(
    'tremor_raft_last_index',
    'Last index of the local Raft log.',
    () => raft()?.node.log.lastIndex() ?? 0,
  );
  gauge(
    'tremor_raft_snapshot_index',
    'Index of the latest local snapshot.',
    () => raft()?.node.log.snapshot?.meta.index ?? 0,
  );
  gauge(
    'tremor_raft_voters',
    "Voting members in this coordinator's membership.",
    () => raft()?.node.conf.voters.length ?? 0,
  );
  gauge(
    'tremor_raft_learners',
    'Non-voting members catching up.',
    () => raft()?.node.conf.learners.length ?? 0,
  );
  gauge(
    'tremor_coordinators_reachable',
    'Other members this coordinator is connected to.',
    () => node.members().filter((m) => m.reachable && m.id !== node.memberId).length,
  );
}
