/** A flow's sink, built for this worker from its validated spec. */
import type { Sink as SinkSpec } from '../../../../control-plane/src/flow-spec/schema';
import { FileSink } from './file-sink';
import { HttpSink, type HttpSinkOptions } from './http-sink';
import { NullSink } from './null-sink';
import { RedisStreamSink } from './redis-stream-sink';
import type { Sink } from './sink';
import { StdoutSink } from './stdout-sink';

export interface SinkContext {
  readonly worker: string;
  /** The worker's `--redis-url`: where a `redis-stream` sink without `url` writes. */
  readonly redisUrl: string;
  readonly http?: HttpSinkOptions;
  readonly stdout?: NodeJS.WritableStream;
}

export function buildSink(spec: SinkSpec, context: SinkContext): Sink {
  switch (spec.kind) {
    case 'redis-stream':
      return new RedisStreamSink(spec.id, spec.config.stream, spec.config.url ?? context.redisUrl);
    case 'file':
      return new FileSink(spec.id, spec.config.path, context.worker);
    case 'http':
      return new HttpSink(spec.id, spec.config.url, context.http);
    case 'stdout':
      return new StdoutSink(spec.id, context.stdout);
    case 'null':
      return new NullSink(spec.id);
  }
}
