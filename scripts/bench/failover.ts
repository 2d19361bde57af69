/**
 * Leader failover, measured the same way on both systems: right after the SIGKILL, writes go to
 * every surviving member every `everyMs`, each with a short timeout and without waiting for the
 * earlier ones (a member without a leader may hold a request until its own timeout); the time
 * from the kill to the first accepted answer is the failover time.
 */
import { sleep } from './util';

export interface FailoverProbe<T, R> {
  targets: readonly T[];
  /** One write; resolves to something when it was accepted, to null otherwise. */
  write: (target: T, timeoutMs: number) => Promise<R | null>;
  /** performance.now() of the kill. */
  killedAt: number;
  everyMs?: number;
  attemptTimeoutMs?: number;
  maxInFlightPerTarget?: number;
  giveUpMs?: number;
}

export interface FailoverResult<T, R> {
  ms: number;
  target: T;
  value: R;
  attempts: number;
}

export async function firstAcceptedWrite<T, R>(
  p: FailoverProbe<T, R>,
): Promise<FailoverResult<T, R>> {
  const everyMs = p.everyMs ?? 25;
  const attemptTimeoutMs = p.attemptTimeoutMs ?? 500;
  // Enough that a member holding every request until it times out (etcd without a leader) still
  // gets a new one every tick, as a member answering at once does.
  const maxInFlight = p.maxInFlightPerTarget ?? Math.ceil(attemptTimeoutMs / everyMs) + 1;
  const giveUpMs = p.giveUpMs ?? 30_000;
  const inFlight = new Map<T, number>();
  const pending = new Set<Promise<void>>();
  let attempts = 0;
  let accept: (r: FailoverResult<T, R>) => void = () => undefined;
  const accepted = new Promise<FailoverResult<T, R>>((resolve) => (accept = resolve));
  const state: { done: FailoverResult<T, R> | null } = { done: null };
  while (state.done === null) {
    if (performance.now() - p.killedAt > giveUpMs) {
      await Promise.all(pending);
      throw new Error(`no write accepted within ${giveUpMs} ms of the leader kill`);
    }
    for (const t of p.targets) {
      if ((inFlight.get(t) ?? 0) >= maxInFlight) continue;
      inFlight.set(t, (inFlight.get(t) ?? 0) + 1);
      attempts++;
      const a = p
        .write(t, attemptTimeoutMs)
        .catch(() => null)
        .then((value) => {
          inFlight.set(t, (inFlight.get(t) ?? 1) - 1);
          if (value !== null && state.done === null) {
            const ms = Math.round(performance.now() - p.killedAt);
            state.done = { ms, target: t, value, attempts };
            accept(state.done);
          }
        });
      pending.add(a);
      void a.finally(() => pending.delete(a));
    }
    // The next round at the next tick (not at once after a quick refusal: that would only load
    // the members while they elect), or as soon as a write is accepted.
    await Promise.race([sleep(everyMs), accepted]);
  }
  // Let the stragglers finish, so they do not land in the next measurement.
  await Promise.all(pending);
  return state.done;
}
