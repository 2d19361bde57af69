/**
 * `npm run sim -- --seeds N [--from S]` runs N seeded schedules; `npm run sim -- --seed S` replays
 * one with its trace. The last line is `N seeds, V violations`; any violation exits non-zero after
 * printing the seed and a readable trace of the failing schedule.
 */
import { runSimulation, type SimResult } from './simulation';

function usage(msg: string): never {
  process.stderr.write(
    `sim: ${msg}\nusage: sim --seeds N [--from S] | --seed S [--trace-lines K]\n`,
  );
  process.exit(2);
}

function intFlag(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) usage(`${name} needs a non-negative integer`);
  return v;
}

function printFailure(r: SimResult, traceLines: number): void {
  const replay = runSimulation({ seed: r.seed, trace: true });
  const lines = traceLines > 0 ? replay.trace.slice(-traceLines) : [];
  process.stdout.write(
    `\nseed ${r.seed} FAILED: ${r.violation}\n` +
      `replay with: npm run sim -- --seed ${r.seed}\n` +
      `trace (last ${lines.length} of ${replay.trace.length} lines):\n${lines.join('\n')}\n\n`,
  );
}

function main(): void {
  const args = process.argv.slice(2);
  const one = intFlag(args, '--seed');
  const traceLines = intFlag(args, '--trace-lines') ?? 200;
  if (one !== undefined) {
    const r = runSimulation({ seed: one, trace: true, traceMessages: args.includes('--messages') });
    process.stdout.write(`${r.trace.join('\n')}\n`);
    process.stdout.write(
      `seed ${one}: ${r.ok ? 'ok' : `VIOLATION ${r.violation}`} ${JSON.stringify(r.stats)}\n`,
    );
    process.stdout.write(`1 seeds, ${r.ok ? 0 : 1} violations\n`);
    process.exit(r.ok ? 0 : 1);
  }
  const n = intFlag(args, '--seeds');
  if (n === undefined) usage('give --seeds N or --seed S');
  const from = intFlag(args, '--from') ?? 1;
  const started = Date.now();
  let violations = 0;
  const totals = { committed: 0, crashes: 0, confChanges: 0, snapshotsSent: 0, operations: 0 };
  for (let seed = from; seed < from + n; seed++) {
    const r = runSimulation({ seed });
    totals.committed += r.stats.committed;
    totals.crashes += r.stats.crashes;
    totals.confChanges += r.stats.confChanges;
    totals.snapshotsSent += r.stats.snapshotsSent;
    totals.operations += r.stats.operations;
    if (!r.ok) {
      violations++;
      printFailure(r, traceLines);
    }
    if ((seed - from + 1) % 100 === 0 && process.stdout.isTTY) {
      process.stdout.write(`  ${seed - from + 1}/${n} seeds, ${violations} violations\n`);
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `seeds ${from}..${from + n - 1} in ${secs} s: ${totals.committed} entries committed, ` +
      `${totals.operations} client operations, ${totals.crashes} crashes, ` +
      `${totals.confChanges} membership changes, ${totals.snapshotsSent} snapshots sent\n`,
  );
  process.stdout.write(`${n} seeds, ${violations} violations\n`);
  process.exit(violations === 0 ? 0 : 1);
}

main();
