/** The workers' view of the cluster state (worker-rpc.ts), built from the replicated state. */
import type { ReadonlyClusterState } from '../cluster-state/state';
import { listCoordinators, listFlows, listWorkers } from '../cluster-state/queries';
import type { WorkerView } from './worker-rpc';

export function buildWorkerView(state: ReadonlyClusterState, revision: number): WorkerView {
  return {
    revision,
    vnodeCount: state.vnodeCount,
    flows: listFlows(state).map((f) => ({
      id: f.id,
      spec: f.spec,
      status: f.status,
      revision: f.revision,
    })),
    vnodes: state.vnodes.map((v) => ({
      owner: v.owner,
      epoch: v.epoch,
      previous: v.previousOwners[0] ?? null,
    })),
    workers: listWorkers(state).map((w) => ({ id: w.id, state: w.state })),
    coordinators: listCoordinators(state).map((c) => ({ id: c.id, api: c.api })),
  };
}
