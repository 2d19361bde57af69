/**
 * `tremor flow apply|list|get|delete|pause|resume` (CONTRACT §2). Each prints one line a person
 * can read (or `--json` for scripts) and leaves errors to the caller, which reports them
 * (report.ts).
 */
import type { Deployment, FlowSummary } from './api-types';
import type { ClientContext } from './context';
import { ApiError, FlowFileRejectedError } from './errors';
import { readFlowFile } from './flow-file';
import { renderTable } from './table';
import { waitForFlow } from './wait-for-flow';

export interface ApplyOptions {
  readonly readFile: (file: string) => string;
  /** Wait for the workers this long (ms); undefined: return once the flow is stored. */
  readonly waitMs?: number;
}

export async function applyFlow(
  ctx: ClientContext,
  file: string,
  options: ApplyOptions,
): Promise<0> {
  const { id, spec } = readFlowFile(file, options.readFile);
  let created: boolean;
  try {
    ({ created } = await ctx.api.putFlow(id, spec));
  } catch (err) {
    if (err instanceof ApiError && err.code === 'TREMOR_FLOW_INVALID') {
      throw new FlowFileRejectedError(file, err);
    }
    throw err;
  }
  ctx.stdout.write(`flow ${id} ${created ? 'created' : 'updated'}\n`);
  if (options.waitMs === undefined) return 0;
  return waitForFlow(ctx, id, options.waitMs);
}

/** Flows whose deployment `GET /v1/flows` does not carry are asked for it this many at a time. */
const DEPLOYMENT_READS_AT_ONCE = 8;

export async function listFlows(ctx: ClientContext, options: { json: boolean }): Promise<0> {
  const flows = await withDeployments(ctx, await ctx.api.flows());
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(flows, null, 2)}\n`);
  } else if (flows.length === 0) {
    ctx.stdout.write('no flows\n');
  } else {
    ctx.stdout.write(
      renderTable(
        ['ID', 'STATUS', 'WORKERS'],
        flows.map((f) => [f.id, f.status, workersCell(f.deployment)]),
      ),
    );
  }
  return 0;
}

/**
 * Each flow with its deployment. A flow deleted between the list and its own read keeps none
 * (shown as `-`): the list was true when it was taken.
 */
async function withDeployments(
  ctx: ClientContext,
  flows: readonly FlowSummary[],
): Promise<FlowSummary[]> {
  const out: FlowSummary[] = [];
  for (let i = 0; i < flows.length; i += DEPLOYMENT_READS_AT_ONCE) {
    const batch = flows.slice(i, i + DEPLOYMENT_READS_AT_ONCE);
    out.push(
      ...(await Promise.all(
        batch.map(async (f) => {
          if (f.deployment !== undefined) return f;
          try {
            return { ...f, deployment: (await ctx.api.flow(f.id)).deployment };
          } catch (err) {
            if (err instanceof ApiError && err.status === 404) return f;
            throw err;
          }
        }),
      )),
    );
  }
  return out;
}

function workersCell(deployment: Deployment | undefined): string {
  return deployment === undefined ? '-' : `${deployment.workersReady}/${deployment.workersTotal}`;
}

/**
 * Without `--json` the flow document alone, as it is stored (defaults filled in), which
 * `flow apply` takes back as it is; with `--json` the API's whole answer (status, revision,
 * deployment) for scripts.
 */
export async function getFlow(
  ctx: ClientContext,
  id: string,
  options: { json: boolean },
): Promise<0> {
  const flow = await ctx.api.flow(id);
  ctx.stdout.write(`${JSON.stringify(options.json ? flow : flow.spec, null, 2)}\n`);
  return 0;
}

export async function deleteFlow(ctx: ClientContext, id: string): Promise<0> {
  await ctx.api.deleteFlow(id);
  ctx.stdout.write(`flow ${id} deleted\n`);
  return 0;
}

export async function pauseFlow(ctx: ClientContext, id: string): Promise<0> {
  await ctx.api.setFlowStatus(id, 'paused');
  ctx.stdout.write(`flow ${id} paused\n`);
  return 0;
}

export async function resumeFlow(ctx: ClientContext, id: string): Promise<0> {
  await ctx.api.setFlowStatus(id, 'running');
  ctx.stdout.write(`flow ${id} resumed\n`);
  return 0;
}
