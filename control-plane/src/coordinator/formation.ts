/**
 * How a coordinator with an empty data dir enters the cluster (etcd calls this the initial
 * cluster state). It asks every other address of `--peers` whether a cluster is already formed:
 *
 * - every peer answers, none is formed, and all were started with the same `--peers`: found the
 *   cluster. Every founder writes the same first log entry (the membership of all peers), so
 *   founders that start at different moments still agree on entry 1.
 * - some peer is formed: join it. The node takes a fresh member id (`nodeId#incarnation`) and waits
 *   to be added as a learner, either automatically (it replaces an earlier incarnation of itself,
 *   whose disk was lost) or through `POST /v1/cluster/coordinators`.
 * - otherwise keep asking. Founding with a peer unaccounted for could let a node whose disk was
 *   wiped found a second cluster, or vote twice in a term its old self voted in.
 */
import type { ClusterTransport } from '../transport/cluster-transport';
import { PROBE, isProbeAnswer, type ProbeAnswer } from './control-rpc';
import type { Logger } from '../logger';

export type Formation =
  { readonly mode: 'found'; readonly voters: readonly string[] } | { readonly mode: 'join' };

export interface FormationOptions {
  readonly transport: ClusterTransport;
  readonly nodeId: string;
  readonly selfAddress: string;
  /** Normalized, including this node's own address. */
  readonly peers: readonly string[];
  readonly logger: Logger;
  readonly retryMs?: number;
  readonly isStopped: () => boolean;
}

export async function decideFormation(opts: FormationOptions): Promise<Formation | null> {
  const others = opts.peers.filter((p) => p !== opts.selfAddress);
  if (others.length === 0) return { mode: 'found', voters: [opts.nodeId] };
  const mine = [...opts.peers].sort();
  const retryMs = opts.retryMs ?? 300;
  let lastReport = 0;
  for (let round = 0; !opts.isStopped(); round++) {
    const answers = await Promise.all(others.map((a) => probe(opts.transport, a)));
    if (answers.some((a) => a !== null && a.formed)) return { mode: 'join' };
    const missing = others.filter((_, i) => answers[i] === null);
    const mismatched = answers.filter(
      (a): a is ProbeAnswer => a !== null && [...a.peers].sort().join(',') !== mine.join(','),
    );
    if (missing.length === 0 && mismatched.length === 0) {
      const voters = [opts.nodeId, ...answers.map((a) => (a as ProbeAnswer).raftId)];
      return { mode: 'found', voters: [...new Set(voters)].sort() };
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      if (mismatched.length > 0) {
        opts.logger.error(
          { mine, theirs: mismatched.map((a) => ({ node: a.nodeId, peers: a.peers })) },
          'peers were started with a different --peers list; the cluster cannot be founded until they agree',
        );
      } else {
        opts.logger.info(
          { waitingFor: missing },
          'waiting for every peer of --peers to answer before founding the cluster',
        );
      }
    }
    await new Promise((r) => setTimeout(r, retryMs));
  }
  return null;
}

async function probe(transport: ClusterTransport, address: string): Promise<ProbeAnswer | null> {
  try {
    const link = transport.connect(address);
    const peer = link.peer ?? (await link.whenConnected(1000));
    const answer = await transport.request(peer.nodeId, PROBE, {}, 1000);
    return isProbeAnswer(answer) ? answer : null;
  } catch {
    return null;
  }
}
