/**
 * `flow apply --wait`: returns once every live worker runs the flow (CONTRACT §2), polling
 * `GET /v1/flows/:id`, whose `deployment` counts the alive workers and those whose heartbeat
 * reports the flow's current revision. With no live worker at all the cluster is on stand-by
 * (CONTRACT §5): the flow is stored and starts when a worker joins, so there is nothing to wait
 * for and that is not a failure.
 */
import type { Deployment } from './api-types';
import type { ClientContext } from './context';
import { ApiError, WaitTimeoutError } from './errors';
import { seconds, waitProgress } from './progress';

export const WAIT_POLL_MS = 200;

export async function waitForFlow(ctx: ClientContext, id: string, timeoutMs: number): Promise<0> {
  const started = ctx.clock.now();
  const progress = waitProgress(ctx.stdout, id);
  let last: Deployment | null = null;
  for (;;) {
    const deployment = await currentDeployment(ctx, id);
    const elapsed = ctx.clock.now() - started;
    if (deployment !== null) {
      last = deployment;
      const { workersReady, workersTotal } = deployment;
      if (workersTotal === 0) {
        progress.clear();
        ctx.stdout.write(
          `flow ${id}: the cluster has no live worker; the flow waits on stand-by and starts when a worker joins\n`,
        );
        return 0;
      }
      if (workersReady >= workersTotal) {
        progress.clear();
        ctx.stdout.write(
          `flow ${id}: every live worker runs it (${workersReady}/${workersTotal}, ${seconds(elapsed)})\n`,
        );
        return 0;
      }
      progress.update(workersReady, workersTotal, elapsed);
    }
    if (elapsed >= timeoutMs) {
      progress.clear();
      const where =
        last === null
          ? 'the API did not say how far the deployment got'
          : `${last.workersReady} of ${last.workersTotal} workers run it`;
      throw new WaitTimeoutError(
        `flow ${id}: gave up waiting after ${seconds(elapsed)}: ${where} (the flow is applied; the others may still catch up)`,
      );
    }
    await ctx.clock.sleep(Math.min(WAIT_POLL_MS, timeoutMs - elapsed));
  }
}

/**
 * The flow's deployment, or null while the cluster cannot say (503: no leader during an election,
 * or the leader unreachable): waiting through that is what `--wait` is for. Other errors end it.
 */
async function currentDeployment(ctx: ClientContext, id: string): Promise<Deployment | null> {
  try {
    return (await ctx.api.flow(id)).deployment;
  } catch (err) {
    if (err instanceof ApiError && err.status === 503) return null;
    throw err;
  }
}
