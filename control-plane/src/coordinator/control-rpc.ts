/**
 * Requests coordinators send each other over the cluster transport, besides Raft itself. Bodies
 * are plain objects; each handler checks the shape of what it receives (a peer may run another
 * release), and answers are typed here for both ends.
 */

/** "Who are you, and is there a formed cluster behind you?" Answered before and after forming. */
export const PROBE = 'coordinator.probe';
export interface ProbeAnswer {
  readonly raftId: string;
  readonly nodeId: string;
  readonly address: string;
  readonly api: string;
  /** The `--peers` list this node was started with, normalized, sorted, itself included. */
  readonly peers: readonly string[];
  /** A leader has committed something: joining now means joining, not founding. */
  readonly formed: boolean;
}

/** A node with an empty disk asks to be let in (replacing an earlier incarnation of itself). */
export const JOIN = 'coordinator.join';
export interface JoinRequest {
  readonly raftId: string;
  readonly nodeId: string;
  readonly address: string;
  readonly api: string;
}
export type JoinAnswer =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly leader: string | null; readonly reason: string };

/** A member tells the leader its addresses, so the cluster state lists it. */
export const REGISTER = 'coordinator.register';
export interface RegisterRequest {
  readonly raftId: string;
  readonly address: string;
  readonly api: string;
}
export type RegisterAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly leader: string | null; readonly reason: string };

export function isJoinRequest(body: unknown): body is JoinRequest {
  return hasStrings(body, ['raftId', 'nodeId', 'address', 'api']);
}

export function isRegisterRequest(body: unknown): body is RegisterRequest {
  return hasStrings(body, ['raftId', 'address', 'api']);
}

export function isProbeAnswer(body: unknown): body is ProbeAnswer {
  if (!hasStrings(body, ['raftId', 'nodeId', 'address', 'api'])) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.formed === 'boolean' &&
    Array.isArray(b.peers) &&
    b.peers.every((p) => typeof p === 'string')
  );
}

function hasStrings(body: unknown, keys: readonly string[]): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return keys.every((k) => typeof b[k] === 'string' && b[k].length > 0);
}
