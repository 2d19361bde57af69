/**
 * `tremor cluster status [--json]`: the cluster as the node behind `--api` sees it (CONTRACT §2:
 * coordinators, workers, vnode distribution, flows). The three reads are not one snapshot; they
 * are taken together, and the output says what each node reported.
 */
import type { ClusterView, FlowSummary, VnodeView } from './api-types';
import type { ClientContext } from './context';
import { renderTable, yesNo } from './table';
import { renderVnodeMap } from './vnode-map';

export interface ClusterStatus {
  readonly cluster: ClusterView;
  readonly vnodes: readonly VnodeView[];
  readonly flows: readonly FlowSummary[];
}

export async function clusterStatus(ctx: ClientContext, options: { json: boolean }): Promise<0> {
  const [cluster, vnodes, flows] = await Promise.all([
    ctx.api.cluster(),
    ctx.api.vnodes(),
    ctx.api.flows(),
  ]);
  const status: ClusterStatus = { cluster, vnodes, flows };
  ctx.stdout.write(
    options.json ? `${JSON.stringify(status, null, 2)}\n` : renderClusterStatus(status),
  );
  return 0;
}

export function renderClusterStatus({ cluster, vnodes, flows }: ClusterStatus): string {
  const name = cluster.name ?? '(not bootstrapped yet)';
  const leader = cluster.leader === null ? 'no leader' : `leader ${cluster.leader}`;
  const parts = [
    `cluster ${name}: ${cluster.vnodes} vnodes, ${leader}, term ${cluster.term}\n`,
    section(
      'COORDINATORS',
      cluster.coordinators.length === 0 ? 'none known\n' : coordinators(cluster),
    ),
    section(
      'WORKERS',
      cluster.workers.length === 0
        ? 'none: the cluster is on stand-by (flows are kept and start when a worker joins)\n'
        : workers(cluster),
    ),
    section(
      `VNODES (${cluster.vnodes})`,
      renderVnodeMap(cluster.vnodes, vnodes, cluster.workers, leaderApi(cluster)),
    ),
    section(
      'FLOWS',
      flows.length === 0
        ? 'none\n'
        : renderTable(
            ['ID', 'STATUS'],
            flows.map((f) => [f.id, f.status]),
          ),
    ),
  ];
  return parts.join('\n');
}

function leaderApi(cluster: ClusterView): string | null {
  return cluster.coordinators.find((c) => c.id === cluster.leader)?.api ?? null;
}

function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

function coordinators(cluster: ClusterView): string {
  return renderTable(
    ['ID', 'ADDRESS', 'ROLE', 'VOTER', 'REACHABLE'],
    cluster.coordinators.map((c) => [
      c.id,
      c.address ?? '-',
      c.role,
      yesNo(c.voter),
      yesNo(c.reachable),
    ]),
  );
}

function workers(cluster: ClusterView): string {
  return renderTable(
    ['ID', 'STATE', 'VNODES', 'API'],
    cluster.workers.map((w) => [w.id, w.state, String(w.vnodes.length), w.api]),
  );
}
