/** `stdout`: NDJSON on the process's standard output (or any stream, for tests). */
import type { Json } from '../../flows/expressions/cel-values';
import { ndjson, type Sink } from './sink';

export class StdoutSink implements Sink {
  constructor(
    readonly id: string,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  write(events: readonly Json[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.out.write(ndjson(events), (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
