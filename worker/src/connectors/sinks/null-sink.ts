/** `null`: drops events (benchmarks, and flows that only feed other sinks); counts them. */
import type { Json } from '../../flows/expressions/cel-values';
import type { Sink } from './sink';

export class NullSink implements Sink {
  written = 0;

  constructor(readonly id: string) {}

  write(events: readonly Json[]): Promise<void> {
    this.written += events.length;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
