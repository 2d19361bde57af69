/**
 * Reconnect delays: exponential growth from `initialMs`, capped at `maxMs`, with "equal jitter"
 * (uniform in [d/2, d)) so that nodes which lost the same peer at the same moment do not all
 * knock on its door in the same millisecond when it comes back, yet none retries at once.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5000 };

/** `attempt` counts failures since the last successful handshake, from 0. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 52));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
