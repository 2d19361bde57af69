#!/usr/bin/env node
/** The `tremor` command: the program is built in program.ts; this file only runs it. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { buildProgram } from './program';

// `tremor flow list | head` closes the pipe early; what was not read is not wanted, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

const program = buildProgram({
  runServer: async (config, warnings) => {
    // Loaded only when a server runs: the server stack (fastify, ioredis, CEL, the AWS SDK) takes
    // longer to load than a client command takes to run.
    const { runServer } = await import('./run-server');
    return runServer(config, warnings);
  },
  io: {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readFile: (file: string) => readFileSync(file, 'utf8'),
    hostname: () => os.hostname(),
    exit: (code: number) => process.exit(code),
  },
});
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`tremor: ${(err as Error).message}\n`);
  process.exit(1);
});
