/**
 * `file`: NDJSON appended to `config.path`, with `{worker}` replaced by the worker's id (each
 * worker writes its own file). A batch is synced to disk before `write` resolves. Batches are
 * written one at a time in call order, so lines of two batches never interleave.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Json } from '../../flows/expressions/cel-values';
import { ndjson, type Sink } from './sink';

export function filePathFor(template: string, worker: string): string {
  return template.split('{worker}').join(worker);
}

export class FileSink implements Sink {
  readonly path: string;
  private handle: Promise<FileHandle> | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    template: string,
    worker: string,
  ) {
    this.path = filePathFor(template, worker);
  }

  write(events: readonly Json[]): Promise<void> {
    if (events.length === 0) return this.queue;
    const text = ndjson(events);
    const next = this.queue.then(async () => {
      const fh = await this.open();
      await fh.appendFile(text, 'utf8');
      // Durable before the events are acknowledged upstream.
      await fh.datasync();
    });
    // A failed batch fails its caller; the next batch still runs.
    this.queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    const h = this.handle;
    this.handle = null;
    if (h) await (await h).close();
  }

  private open(): Promise<FileHandle> {
    if (this.handle === null) {
      const opening = (async () => {
        await mkdir(path.dirname(this.path), { recursive: true });
        return open(this.path, 'a');
      })();
      this.handle = opening;
      // A directory that could not be made now may exist at the next batch: try again then.
      opening.catch(() => {
        if (this.handle === opening) this.handle = null;
      });
    }
    return this.handle;
  }
}
