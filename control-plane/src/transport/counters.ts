/**
 * What the transport counts, as plain numbers (Prometheus exposition comes later and reads these).
 * Every connection the transport closes for a peer's fault and every message it drops adds to one
 * of them, so "bad input is counted" is checkable from the outside.
 */
export interface TransportCounters {
  /** Frames and bytes read from and written to sockets, handshake included. */
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  connectionsAccepted: number;
  /** Accepted sockets closed at once because too many handshakes were already pending. */
  connectionsRefused: number;
  handshakesCompleted: number;
  /** Peers whose frames broke the protocol (framing, decoding, message shape); each was closed. */
  protocolErrors: number;
  /** A MAC that did not verify, ours to check: a client's hello, or a server's welcome. */
  authFailures: number;
  /** Clients refused for presenting another cluster name. */
  nameMismatches: number;
  /** Clients refused for presenting this node's own id, or servers that had it. */
  nodeIdConflicts: number;
  /** Our own connections that the remote side refused in the handshake. */
  rejectedByPeer: number;
  handshakeTimeouts: number;
  /** Messages not sent: no authenticated connection to the peer. */
  dropsNotConnected: number;
  /** Messages not sent: the connection's write buffer was over its bound (a slow or stuck peer). */
  dropsBackpressure: number;
  /** Messages not sent: encoded, they exceed the maximum frame size, or cannot be encoded. */
  dropsUnencodable: number;
  /** Raft messages received whose `to` is not this node; dropped. */
  dropsMisaddressed: number;
  requestsTimedOut: number;
  /** Local raft or push handlers that threw: a bug here, not the peer's fault; logged. */
  handlerErrors: number;
}

export function newCounters(): TransportCounters {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    handshakesCompleted: 0,
    protocolErrors: 0,
    authFailures: 0,
    nameMismatches: 0,
    nodeIdConflicts: 0,
    rejectedByPeer: 0,
    handshakeTimeouts: 0,
    dropsNotConnected: 0,
    dropsBackpressure: 0,
    dropsUnencodable: 0,
    dropsMisaddressed: 0,
    requestsTimedOut: 0,
    handlerErrors: 0,
  };
}
