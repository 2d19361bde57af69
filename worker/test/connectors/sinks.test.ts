import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { FileSink, filePathFor } from '../../src/connectors/sinks/file-sink';
import { NullSink } from '../../src/connectors/sinks/null-sink';
import { StdoutSink } from '../../src/connectors/sinks/stdout-sink';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tremor-sinks-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file sink (real files)', () => {
  it("appends NDJSON to the worker's own file, creating directories, batches in call order", async () => {
    const sink = new FileSink('out', path.join(dir, 'nested', 'out-{worker}.ndjson'), 'w7');
    expect(sink.path).toBe(path.join(dir, 'nested', 'out-w7.ndjson'));
    await Promise.all([
      sink.write([{ a: 1 }, { b: 'two' }]),
      sink.write([]),
      sink.write([{ c: [3] }]),
    ]);
    await sink.close();
    const again = new FileSink('out', path.join(dir, 'nested', 'out-{worker}.ndjson'), 'w7');
    await again.write([{ d: null }]);
    await again.close();
    const lines = (await readFile(sink.path, 'utf8')).split('\n');
    expect(lines).toEqual(['{"a":1}', '{"b":"two"}', '{"c":[3]}', '{"d":null}', '']);
  });

  it('a batch that cannot be written fails its caller, and a later one succeeds once it can', async () => {
    const blocker = path.join(dir, 'blocker');
    await writeFile(blocker, 'a file where a directory should be');
    const sink = new FileSink('out', path.join(blocker, 'out.ndjson'), 'w');
    await expect(sink.write([{ a: 1 }])).rejects.toThrow();
    await rm(blocker);
    await sink.write([{ a: 2 }]);
    await sink.close();
    expect(await readFile(path.join(blocker, 'out.ndjson'), 'utf8')).toBe('{"a":2}\n');
  });

  it('replaces every {worker}', () => {
    expect(filePathFor('/x/{worker}/y-{worker}.ndjson', 'w1')).toBe('/x/w1/y-w1.ndjson');
  });
});

describe('stdout and null sinks', () => {
  it('stdout writes NDJSON to its stream', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const sink = new StdoutSink('s', stream);
    await sink.write([{ a: 1 }, 'text', 3]);
    expect(chunks.join('')).toBe('{"a":1}\n"text"\n3\n');
  });

  it('null counts and drops', async () => {
    const sink = new NullSink('n');
    await sink.write([1, 2, 3]);
    await sink.write([]);
    expect(sink.written).toBe(3);
  });
});
