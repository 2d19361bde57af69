/**
 * The node's identity on disk (`<data-dir>/identity.json`): which Raft member id this data dir
 * belongs to. A coordinator founded from `--peers` is its node id; one that joined a running
 * cluster with an empty disk is `nodeId#incarnation`, a member id no earlier log can contain, so
 * a replaced disk can never vote again in a term its predecessor voted in.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../raft-host/fs-durable';

export interface NodeIdentity {
  readonly nodeId: string;
  readonly raftId: string;
  readonly clusterName: string;
}

const FILE = 'identity.json';

export async function readIdentity(dataDir: string): Promise<NodeIdentity | null> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<NodeIdentity>;
  if (
    typeof parsed.nodeId !== 'string' ||
    typeof parsed.raftId !== 'string' ||
    typeof parsed.clusterName !== 'string'
  ) {
    throw new Error(`${path.join(dataDir, FILE)} is not a node identity file`);
  }
  return { nodeId: parsed.nodeId, raftId: parsed.raftId, clusterName: parsed.clusterName };
}

export async function writeIdentity(dataDir: string, identity: NodeIdentity): Promise<void> {
  const text = JSON.stringify(identity, null, 2) + '\n';
  await writeFileAtomically(dataDir, FILE, Buffer.from(text, 'utf8'));
}

export function newIncarnationId(nodeId: string): string {
  return `${nodeId}#${randomBytes(4).toString('hex')}`;
}

/** The node id a Raft member id belongs to: incarnations of one node share it. */
export function baseNodeId(raftId: string): string {
  const hash = raftId.indexOf('#');
  return hash < 0 ? raftId : raftId.slice(0, hash);
}
