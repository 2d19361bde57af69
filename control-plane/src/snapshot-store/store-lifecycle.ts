/**
 * The open → closing → closed lifecycle every snapshot store shares:
 * - `open`: operations run;
 * - `closing`: `close()` was called; operations in flight finish, new ones are refused;
 * - `closed`: everything has settled.
 */
import { SnapshotStoreError } from './errors';

export type StoreState = 'open' | 'closing' | 'closed';

export class StoreLifecycle {
  private current: StoreState = 'open';
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly what: string) {}

  get state(): StoreState {
    return this.current;
  }

  run<T>(op: () => Promise<T>): Promise<T> {
    if (this.current !== 'open') {
      return Promise.reject(
        new SnapshotStoreError('TREMOR_SNAPSHOT_STORE_CLOSED', `${this.what} is closed`),
      );
    }
    // The executor turns a synchronous throw in `op` into a rejection.
    const p = new Promise<T>((resolve) => resolve(op()));
    this.inFlight.add(p);
    const settle = (): void => {
      this.inFlight.delete(p);
    };
    p.then(settle, settle);
    return p;
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.current = 'closing';
    await Promise.allSettled([...this.inFlight]);
    this.current = 'closed';
  }
}
