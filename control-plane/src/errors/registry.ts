/**
 * Every stable error code the project emits, with the HTTP status it is answered with and what it
 * means. Tests and clients branch on these codes, never on messages (like fastify's `FST_ERR_*`).
 * `docs/errors.md` lists the same table; a test keeps the two equal, and another fails when a
 * `TREMOR_*` code appears in the sources without an entry here.
 *
 * Statuses are defined once: the cluster-state refusals keep theirs in `REFUSAL_HTTP_STATUS`, the
 * snapshot stores in `SNAPSHOT_STORE_ERROR_CODES`, and a code shared by two layers (a refusal that is also a transport or membership code) has one
 * entry, the refusal's.
 */
import { REFUSAL_HTTP_STATUS, type RefusalCode } from '../cluster-state/refusals';
import type { SnapshotErrorCode } from '../cluster-state/codec';
import type { MembershipError } from '../coordinator/service';
import { SNAPSHOT_STORE_ERROR_CODES, type SnapshotStoreErrorCode } from '../snapshot-store/errors';
import type { TransportErrorCode } from '../transport/errors';

export interface ErrorEntry {
  readonly status: number;
  /** One line for docs/errors.md. */
  readonly meaning: string;
}

/** Meanings of the cluster-state refusals; their statuses come from REFUSAL_HTTP_STATUS. */
const REFUSAL_MEANINGS: { readonly [C in RefusalCode]: string } = {
  TREMOR_NOT_BOOTSTRAPPED: 'the cluster has not been bootstrapped yet; retry shortly',
  TREMOR_VNODES_FIXED: 'the vnode count is fixed when the cluster is formed and cannot change',
  TREMOR_CLUSTER_NAME_MISMATCH:
    'a node or request belongs to a cluster of another name (also a cluster transport handshake refusal)',
  TREMOR_VNODE_COUNT_MISMATCH:
    'a worker runs with another --no-of-vnodes than the cluster was formed with',
  TREMOR_COORDINATOR_EXISTS: 'a coordinator with this id exists already, with other addresses',
  TREMOR_COORDINATOR_NOT_FOUND: 'no coordinator has this id',
  TREMOR_WORKER_NOT_FOUND: 'no worker has this id',
  TREMOR_WORKER_INVALID_TRANSITION: "the worker's lifecycle does not allow this state change",
  TREMOR_WORKER_NOT_ASSIGNABLE: 'only alive workers are given vnodes',
  TREMOR_VNODE_OUT_OF_RANGE: 'the vnode number is not below the vnode count',
  TREMOR_STALE_EPOCH: 'a vnode move was planned against an assignment that has changed since',
  TREMOR_FLOW_EXISTS: 'a flow with this id exists already (use PUT to replace it)',
  TREMOR_FLOW_NOT_FOUND: 'no flow (or no source of the flow) has this id here',
  TREMOR_KV_CAS_FAILED:
    'compare-and-set: the key does not hold the expected value; details carry the current one',
  TREMOR_COMMAND_INVALID: 'a well-formed command that makes no sense, e.g. a vnode moved twice',
  TREMOR_COMMAND_MALFORMED: 'bytes in the Raft log that do not decode to a command',
  TREMOR_COMMAND_VERSION_UNSUPPORTED:
    'a command written by a newer release than this coordinator; upgrade it',
  TREMOR_COMMAND_UNKNOWN_KIND: 'a command kind this coordinator does not know',
};

function refusalEntries(): { readonly [C in RefusalCode]: ErrorEntry } {
  const entries = {} as { [C in RefusalCode]: ErrorEntry };
  for (const code of Object.keys(REFUSAL_MEANINGS) as RefusalCode[]) {
    entries[code] = { status: REFUSAL_HTTP_STATUS[code], meaning: REFUSAL_MEANINGS[code] };
  }
  return entries;
}

/**
 * Cluster transport codes. They rarely reach an HTTP client; when one does, it means another node
 * could not be talked to (502 for a bad or refused answer, 503/504 for none).
 */
const TRANSPORT = {
  TREMOR_CLUSTER_PROTOCOL_ERROR: {
    status: 502,
    meaning: 'a peer broke the cluster wire protocol (bad framing or message)',
  },
  TREMOR_CLUSTER_AUTH_FAILED: {
    status: 502,
    meaning: 'a peer does not know the cluster secret (or it differs)',
  },
  TREMOR_CLUSTER_NODE_ID_CONFLICT: {
    status: 502,
    meaning: "a peer claims this node's own id: a self-connection or two nodes configured alike",
  },
  TREMOR_CLUSTER_HANDSHAKE_TIMEOUT: {
    status: 504,
    meaning: 'a cluster transport handshake did not complete in time',
  },
  TREMOR_CLUSTER_PEER_UNAVAILABLE: {
    status: 503,
    meaning: 'no authenticated connection to the peer, or it was lost during a request',
  },
  TREMOR_CLUSTER_REQUEST_TIMEOUT: {
    status: 504,
    meaning: 'a request over the cluster transport got no answer in time',
  },
  TREMOR_CLUSTER_MESSAGE_TOO_LARGE: {
    status: 500,
    meaning: 'an encoded cluster message exceeds the maximum frame size',
  },
  TREMOR_CLUSTER_TRANSPORT_CLOSED: {
    status: 503,
    meaning: 'the cluster transport of this node is closed (it is shutting down)',
  },
  TREMOR_CLUSTER_HANDLER_FAILED: {
    status: 502,
    meaning: "a peer's request handler failed without a code of its own",
  },
  TREMOR_CLUSTER_NO_HANDLER: {
    status: 502,
    meaning: 'a peer has no handler for the requested cluster method',
  },
} as const satisfies {
  readonly [C in Exclude<TransportErrorCode, RefusalCode> | TransportHandlerCode]: ErrorEntry;
};

/** Codes of `RemoteRequestError` that are not transport codes (transport/errors.ts constants). */
type TransportHandlerCode = 'TREMOR_CLUSTER_HANDLER_FAILED' | 'TREMOR_CLUSTER_NO_HANDLER';

type MembershipCode = MembershipError['code'];

/** What `CoordinatorService` rejects with (coordinator/service.ts). */
const SERVICE = {
  TREMOR_NOT_LEADER: {
    status: 503,
    meaning:
      'this node is not the Raft leader; the API forwards the request to the leader, so clients see this only inside the cluster',
  },
  TREMOR_NO_LEADER: {
    status: 503,
    meaning: 'no Raft leader is known (an election is under way); retry after Retry-After',
  },
  TREMOR_PROPOSAL_TIMEOUT: {
    status: 504,
    meaning: 'the change was not committed in time; it may or may not take effect',
  },
  TREMOR_LEADER_UNREACHABLE: {
    status: 503,
    meaning:
      "the leader's API did not answer a forwarded request (refused or timed out; after a timeout the outcome is unknown)",
  },
  TREMOR_MEMBERSHIP_CHANGE_PENDING: {
    status: 409,
    meaning: 'another membership change is in progress; retry once it completes',
  },
  TREMOR_MEMBERSHIP_CHANGE_INVALID: {
    status: 409,
    meaning: 'the membership change does not fit the current membership',
  },
  TREMOR_COORDINATOR_UNREACHABLE: {
    status: 502,
    meaning: 'no coordinator answered at the given cluster address',
  },
  TREMOR_LAST_COORDINATOR: {
    status: 409,
    meaning: 'the last voting coordinator cannot be removed',
  },
  TREMOR_TRANSFER_FAILED: {
    status: 409,
    meaning: 'leadership could not be handed over (no fitting target, or it did not take over)',
  },
} as const satisfies {
  readonly [C in Exclude<MembershipCode, RefusalCode>]: ErrorEntry;
} & Record<string, ErrorEntry>;

/** The HTTP API's own codes. */
const API = {
  TREMOR_BAD_REQUEST: {
    status: 400,
    meaning: 'the request does not match the schema of its route; details list every problem',
  },
  TREMOR_BODY_INVALID: {
    status: 400,
    meaning: 'the body does not parse as JSON, YAML or NDJSON; the message says where',
  },
  TREMOR_FLOW_INVALID: {
    status: 400,
    meaning: 'the flow is not valid; details list every problem as { path, message }',
  },
  TREMOR_KV_NOT_FOUND: { status: 404, meaning: 'the key is absent' },
  TREMOR_UNAUTHORIZED: {
    status: 401,
    meaning: 'missing or wrong `Authorization: Bearer` token (the node runs with --api-token)',
  },
  TREMOR_ROUTE_NOT_FOUND: { status: 404, meaning: 'no route has this method and path' },
  TREMOR_COMMAND_TOO_LARGE: {
    status: 413,
    meaning:
      'the change (a kv value, a flow) is over 4 MiB once encoded: one Raft entry must fit a transport frame',
  },
  TREMOR_PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning: 'the request body is larger than the configured limit (default 16 MiB)',
  },
  TREMOR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'the route does not accept a body of this content type',
  },
  TREMOR_NOT_A_WORKER: {
    status: 421,
    meaning: 'ingest was sent to a node that runs no worker (a coordinator); send it to a worker',
  },
  TREMOR_NOT_READY: {
    status: 503,
    meaning: 'the node cannot serve yet (coordinator: no leader known); retry after Retry-After',
  },
  TREMOR_BACKPRESSURE: {
    status: 503,
    meaning: "the target vnodes' backlog is over its bound; nothing was accepted, retry later",
  },
  TREMOR_TRANSPORT_UNAVAILABLE: {
    status: 503,
    meaning:
      'the event transport (Redis) did not take the events; retry later (if only its answer was lost, a retry delivers them twice)',
  },
  TREMOR_INTERNAL: {
    status: 500,
    meaning: 'an unexpected failure on the node; its log has the details',
  },
} as const satisfies Record<string, ErrorEntry>;

/** Snapshots of the cluster state as their codec (cluster-state/codec.ts) reads them. */
const SNAPSHOT_CODEC = {
  TREMOR_SNAPSHOT_INVALID: {
    status: 500,
    meaning: 'a snapshot does not decode to a cluster state',
  },
  TREMOR_SNAPSHOT_FORMAT_UNSUPPORTED: {
    status: 500,
    meaning: 'a snapshot written in a format this release does not read',
  },
} as const satisfies { readonly [C in SnapshotErrorCode]: ErrorEntry };

/** The snapshot stores keep their codes' statuses and meanings (snapshot-store/errors.ts). */
function snapshotStoreEntries(): { readonly [C in SnapshotStoreErrorCode]: ErrorEntry } {
  const entries = {} as { [C in SnapshotStoreErrorCode]: ErrorEntry };
  for (const code of Object.keys(SNAPSHOT_STORE_ERROR_CODES) as SnapshotStoreErrorCode[]) {
    const { httpStatus, meaning } = SNAPSHOT_STORE_ERROR_CODES[code];
    entries[code] = { status: httpStatus, meaning };
  }
  return entries;
}

export const ERROR_REGISTRY = {
  ...refusalEntries(),
  ...TRANSPORT,
  ...SERVICE,
  ...API,
  ...SNAPSHOT_CODEC,
  ...snapshotStoreEntries(),
} as const;

export type ErrorCode = keyof typeof ERROR_REGISTRY;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_REGISTRY, code);
}

export function statusOf(code: ErrorCode): number {
  return ERROR_REGISTRY[code].status;
}

/** Every registered code, sorted: the order docs/errors.md lists them in. */
export function errorCodes(): ErrorCode[] {
  return (Object.keys(ERROR_REGISTRY) as ErrorCode[]).sort();
}
