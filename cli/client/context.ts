/**
 * What a client command runs with: the API, where its output goes, and time. Everything is
 * injected so that tests drive the commands with a fake API and a virtual clock.
 */
import type { ApiClient } from './api-client';

export interface TextOutput {
  write(text: string): unknown;
  readonly columns?: number;
  /** A person is watching: progress may be redrawn in place. */
  readonly isTTY?: boolean;
}

/** Time as an input (DESIGN: only drivers touch clocks); the wait loop is its only user. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ClientContext {
  readonly api: ApiClient;
  readonly stdout: TextOutput;
  readonly clock: Clock;
}
