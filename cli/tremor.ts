#!/usr/bin/env node
/** The `tremor` command: the program is built in program.ts; this file only runs it. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { buildProgram } from './program';
import { runServer } from './run-server';

const program = buildProgram({
  runServer: (config, warnings) => runServer(config, warnings),
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
