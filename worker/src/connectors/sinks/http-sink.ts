/**
 * `http`: POSTs each batch as NDJSON (`content-type: application/x-ndjson`) to `config.url`.
 * A 2xx answer is the acknowledgement. A network error, a 5xx or a 429 is retried with exponential
 * backoff and jitter, a bounded number of times, after which the batch fails (and is repeated
 * later by the worker: at least once). Other 4xx answers are the receiver refusing the batch:
 * retrying would not help, so the batch fails at once with the answer in the error.
 */
import type { Json } from '../../flows/expressions/cel-values';
import { ndjson, type Sink } from './sink';

export interface HttpSinkOptions {
  readonly attempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  /** For jitter; tests pass a fixed one. */
  readonly random?: () => number;
}

export class HttpSinkError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'HttpSinkError';
  }
}

export class HttpSink implements Sink {
  private readonly attempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly random: () => number;

  constructor(
    readonly id: string,
    private readonly url: string,
    options: HttpSinkOptions = {},
  ) {
    this.attempts = options.attempts ?? 6;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  async write(events: readonly Json[]): Promise<void> {
    if (events.length === 0) return;
    const body = ndjson(events);
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let status: number | null = null;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = res.status;
        const text = await res.text();
        if (res.ok) return;
        last = `${res.status} ${text.slice(0, 200)}`;
        if (res.status < 500 && res.status !== 429) {
          throw new HttpSinkError(`${this.url} refused the batch: ${last}`, res.status);
        }
      } catch (err) {
        if (err instanceof HttpSinkError) throw err;
        if (status === null) last = (err as Error).message;
      }
      if (attempt < this.attempts) await sleep(this.backoff(attempt));
    }
    throw new HttpSinkError(`${this.url} failed ${this.attempts} times; last: ${last}`, null);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempt - 1));
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
