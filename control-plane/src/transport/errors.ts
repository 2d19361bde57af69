/**
 * Typed failures of the cluster transport. Each carries a stable `code` so callers and tests
 * branch on codes, not messages; they move into the project's error registry once it exists.
 */

export type TransportErrorCode =
  /** The peer broke the wire protocol: bad framing, undecodable payload, malformed message. */
  | 'TREMOR_CLUSTER_PROTOCOL_ERROR'
  /** A MAC did not verify: the other side does not know the cluster secret (or it differs). */
  | 'TREMOR_CLUSTER_AUTH_FAILED'
  /** The other side belongs to a cluster of another name. */
  | 'TREMOR_CLUSTER_NAME_MISMATCH'
  /** The other side claims this node's own id: a self-connection or two nodes configured alike. */
  | 'TREMOR_CLUSTER_NODE_ID_CONFLICT'
  | 'TREMOR_CLUSTER_HANDSHAKE_TIMEOUT'
  /** No authenticated connection to the peer, or it was lost while a request was waiting. */
  | 'TREMOR_CLUSTER_PEER_UNAVAILABLE'
  | 'TREMOR_CLUSTER_REQUEST_TIMEOUT'
  /** An encoded message is larger than the maximum frame size. */
  | 'TREMOR_CLUSTER_MESSAGE_TOO_LARGE'
  | 'TREMOR_CLUSTER_TRANSPORT_CLOSED';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/** What made a connection a protocol violation; logged and tested, never shown to the peer. */
export type ProtocolViolation =
  'frame-too-large' | 'empty-frame' | 'undecodable' | 'invalid-message' | 'unexpected-message';

export class ProtocolError extends TransportError {
  constructor(
    readonly violation: ProtocolViolation,
    detail: string,
  ) {
    super('TREMOR_CLUSTER_PROTOCOL_ERROR', `cluster protocol error (${violation}): ${detail}`);
    this.name = 'ProtocolError';
  }
}

/** The reasons a handshake is refused, sent in the rejection frame. */
export type RejectionCode = Extract<
  TransportErrorCode,
  'TREMOR_CLUSTER_AUTH_FAILED' | 'TREMOR_CLUSTER_NAME_MISMATCH' | 'TREMOR_CLUSTER_NODE_ID_CONFLICT'
>;

export const REJECTION_CODES: readonly RejectionCode[] = [
  'TREMOR_CLUSTER_AUTH_FAILED',
  'TREMOR_CLUSTER_NAME_MISMATCH',
  'TREMOR_CLUSTER_NODE_ID_CONFLICT',
];

/** A handshake that failed on credentials or identity, on either side of the connection. */
export class HandshakeRejectedError extends TransportError {
  constructor(
    readonly reason: RejectionCode,
    message: string,
    /** True when the remote side refused us; false when we refused the remote side. */
    readonly byRemote: boolean,
  ) {
    super(reason, message);
    this.name = 'HandshakeRejectedError';
  }
}

/**
 * The remote request handler failed. `code` is the remote error's own code when it had one
 * (so a caller can branch on, say, a validation failure), else `TREMOR_CLUSTER_HANDLER_FAILED`.
 */
export class RemoteRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly method: string,
  ) {
    super(message);
    this.name = 'RemoteRequestError';
  }
}

export const HANDLER_FAILED = 'TREMOR_CLUSTER_HANDLER_FAILED';
export const NO_HANDLER = 'TREMOR_CLUSTER_NO_HANDLER';

export function transportClosedError(): TransportError {
  return new TransportError('TREMOR_CLUSTER_TRANSPORT_CLOSED', 'the cluster transport is closed');
}
