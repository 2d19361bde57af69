/**
 * A worker's line to the coordinators: one cluster-transport connection to each, and requests
 * sent to the one believed to lead. A follower's `not-leader` answer names the leader, which is
 * tried next; an unreachable coordinator is skipped for the next one. Used by join, heartbeats,
 * watches and leave alike.
 */
import type { Logger } from '../../../control-plane/src/logger';
import { ClusterTransport } from '../../../control-plane/src/transport/cluster-transport';

export interface CoordinatorClientOptions {
  readonly workerId: string;
  readonly coordinators: readonly string[];
  readonly clusterName: string;
  readonly clusterSecret: string | null;
  readonly logger: Logger;
}

interface LeaderHint {
  readonly ok: false;
  readonly code: 'not-leader';
  readonly leader: string | null;
}

function isNotLeader(answer: unknown): answer is LeaderHint {
  return (
    typeof answer === 'object' &&
    answer !== null &&
    (answer as { code?: unknown }).code === 'not-leader'
  );
}

export class CoordinatorClient {
  private readonly transport: ClusterTransport;
  private leader: string | null = null;
  private closed = false;

  constructor(private readonly options: CoordinatorClientOptions) {
    this.transport = new ClusterTransport({
      nodeId: options.workerId,
      role: 'worker',
      clusterName: options.clusterName,
      secret: options.clusterSecret,
      logger: options.logger,
    });
    for (const address of options.coordinators) this.transport.connect(address);
  }

  /**
   * Sends `method` to the leader, following hints and skipping unreachable coordinators, until an
   * answer that is not `not-leader` comes or `deadlineMs` passes (then it rejects with the last
   * reason).
   */
  async request<T>(
    method: string,
    body: unknown,
    timeoutMs: number,
    deadlineMs: number,
  ): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    let lastError = 'no coordinator is connected yet';
    let tried = 0;
    while (!this.closed) {
      const peers = this.transport.connectedPeers().filter((p) => p.role === 'coordinator');
      const target =
        (this.leader !== null && peers.find((p) => p.nodeId === this.leader)) ||
        peers[tried % Math.max(1, peers.length)];
      if (target) {
        try {
          const answer = await this.transport.request(target.nodeId, method, body, timeoutMs);
          if (!isNotLeader(answer)) {
            this.leader = target.nodeId;
            return answer as T;
          }
          lastError = `${target.nodeId} is not the leader`;
          this.leader = answer.leader !== target.nodeId ? answer.leader : null;
        } catch (err) {
          lastError = `${target.nodeId}: ${err instanceof Error ? err.message : String(err)}`;
          this.leader = null;
        }
        tried++;
      }
      if (Date.now() >= deadline) break;
      // A short pause once every coordinator was tried (an election may be under way).
      if (!target || (this.leader === null && tried % Math.max(1, peers.length) === 0)) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`${method} reached no leader: ${lastError}`);
  }

  /** The coordinator that answered last as leader; null when none did yet. */
  get leaderId(): string | null {
    return this.leader;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.transport.close();
  }
}
