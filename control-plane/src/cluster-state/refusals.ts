/**
 * Expected failures of the cluster state machine and of its codec, each with a stable code. A
 * refusal is a result, not an exception: a committed command that is refused is still applied
 * (the revision advances) identically on every coordinator, and the proposer is told why.
 */
import type { Coordinator, WorkerStatus } from './state';
import type { JsonValue } from './json';

export interface RefusalDetails {
  /** Every command but bootstrap needs a bootstrapped cluster. */
  TREMOR_NOT_BOOTSTRAPPED: Record<string, never>;
  /** A second bootstrap asked for another vnode count. */
  TREMOR_VNODES_FIXED: { readonly current: number; readonly requested: number };
  TREMOR_CLUSTER_NAME_MISMATCH: { readonly current: string; readonly requested: string };
  /** A worker started with another `--no-of-vnodes` than the cluster was formed with. */
  TREMOR_VNODE_COUNT_MISMATCH: { readonly current: number; readonly requested: number };
  TREMOR_COORDINATOR_EXISTS: { readonly coordinator: Coordinator };
  TREMOR_COORDINATOR_NOT_FOUND: { readonly id: string };
  TREMOR_WORKER_NOT_FOUND: { readonly id: string };
  TREMOR_WORKER_INVALID_TRANSITION: {
    readonly id: string;
    readonly from: WorkerStatus;
    readonly to: WorkerStatus;
  };
  /** Only alive workers take vnodes; the plan was made before the worker's state changed. */
  TREMOR_WORKER_NOT_ASSIGNABLE: {
    readonly id: string;
    readonly state: WorkerStatus;
    readonly vnode: number;
  };
  TREMOR_VNODE_OUT_OF_RANGE: { readonly vnode: number; readonly vnodeCount: number };
  /** The move was planned against an assignment that has changed since. */
  TREMOR_STALE_EPOCH: {
    readonly vnode: number;
    readonly expected: number;
    readonly current: number;
  };
  TREMOR_FLOW_EXISTS: { readonly id: string };
  TREMOR_FLOW_NOT_FOUND: { readonly id: string };
  TREMOR_KV_CAS_FAILED: {
    readonly key: string;
    /** What the key holds now; null when absent. */
    readonly current: { readonly value: JsonValue; readonly revision: number } | null;
  };
  /** Well-typed but meaningless, e.g. one vnode moved twice in one batch. */
  TREMOR_COMMAND_INVALID: { readonly reason: string };
  /** Bytes that do not decode to a command of a known shape. */
  TREMOR_COMMAND_MALFORMED: { readonly reason: string };
  /** Written by a newer coordinator than this one. */
  TREMOR_COMMAND_VERSION_UNSUPPORTED: { readonly version: number; readonly supported: number };
  TREMOR_COMMAND_UNKNOWN_KIND: { readonly kind: string };
}

export type RefusalCode = keyof RefusalDetails;

export type RefusalOf<C extends RefusalCode> = {
  readonly ok: false;
  readonly code: C;
  readonly message: string;
  readonly details: RefusalDetails[C];
};

export type Refusal = { [C in RefusalCode]: RefusalOf<C> }[RefusalCode];

export function refuse<C extends RefusalCode>(
  code: C,
  message: string,
  details: RefusalDetails[C],
): RefusalOf<C> {
  return { ok: false, code, message, details };
}

/** The HTTP status each refusal maps to, for the error registry and the API. */
export const REFUSAL_HTTP_STATUS: { readonly [C in RefusalCode]: number } = {
  TREMOR_NOT_BOOTSTRAPPED: 503,
  TREMOR_VNODES_FIXED: 409,
  TREMOR_CLUSTER_NAME_MISMATCH: 409,
  TREMOR_VNODE_COUNT_MISMATCH: 409,
  TREMOR_COORDINATOR_EXISTS: 409,
  TREMOR_COORDINATOR_NOT_FOUND: 404,
  TREMOR_WORKER_NOT_FOUND: 404,
  TREMOR_WORKER_INVALID_TRANSITION: 409,
  TREMOR_WORKER_NOT_ASSIGNABLE: 409,
  TREMOR_VNODE_OUT_OF_RANGE: 400,
  TREMOR_STALE_EPOCH: 409,
  TREMOR_FLOW_EXISTS: 409,
  TREMOR_FLOW_NOT_FOUND: 404,
  TREMOR_KV_CAS_FAILED: 409,
  TREMOR_COMMAND_INVALID: 400,
  TREMOR_COMMAND_MALFORMED: 400,
  TREMOR_COMMAND_VERSION_UNSUPPORTED: 500,
  TREMOR_COMMAND_UNKNOWN_KIND: 500,
};
