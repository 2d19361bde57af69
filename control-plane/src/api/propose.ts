/** Writes and reads of the replicated state as the routes need them. */
import type { ApplyData, Command } from '../cluster-state/commands';
import type { Refusal } from '../cluster-state/refusals';
import type { ReadonlyClusterState } from '../cluster-state/state';
import type { CoordinatorService } from '../coordinator/service';
import { TremorError } from '../errors';

/**
 * Commits `cmd` and answers its data; a refusal becomes the error the API answers with, its status
 * from the registry (REFUSAL_HTTP_STATUS). `NotLeaderError` passes through to be forwarded.
 */
export async function commit<C extends Command>(
  service: CoordinatorService,
  cmd: C,
): Promise<ApplyData[C['kind']]> {
  const result = await service.propose(cmd);
  if (!result.ok) throw refusalError(result);
  return result.data;
}

export function refusalError(refusal: Refusal): TremorError {
  return new TremorError(refusal.code, refusal.message, [refusal.details]);
}

/**
 * A linearizable read (on a follower it throws NotLeaderError, and the request is forwarded to
 * the leader), or this node's applied copy when the client asked for `stale`.
 */
export async function readState(
  service: CoordinatorService,
  stale: boolean | undefined,
): Promise<ReadonlyClusterState> {
  return stale === true ? service.state() : service.linearizableRead();
}
