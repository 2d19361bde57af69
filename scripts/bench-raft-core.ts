/**
 * Raft core throughput: 3 cores in one process on an in-memory network, 64 proposers each keeping
 * one proposal outstanding (as openraft's in-memory benchmark does with 64 clients). Prints
 * committed proposals per second and the commit latency in ticks (one tick = one round of message
 * delivery here), and writes the figures to bench/results/raft-core.json.
 *
 *   npm run bench:raft-core [-- --seconds 10 --proposers 64]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryStorage } from '../control-plane/src/raft/memory-storage';
import { DEFAULT_RAFT_CONFIG, RaftNode } from '../control-plane/src/raft/raft';
import { seededRng } from '../control-plane/src/raft/rng';
import type { Message } from '../control-plane/src/raft/types';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
}

const seconds = flag('--seconds', 10);
const proposers = flag('--proposers', 64);
const payload = new Uint8Array(64).fill(7);
const ids = ['a', 'b', 'c'];
const rng = seededRng(7);

const storage = new Map(ids.map((id) => [id, new MemoryStorage(RaftNode.bootstrap(ids))]));
const nodes = new Map(
  ids.map((id) => [
    id,
    new RaftNode({ ...DEFAULT_RAFT_CONFIG, id, random: () => rng.next() }, storage.get(id)!.load()),
  ]),
);
let wire: Message[] = [];

/** Each proposal waiting for commit: index -> tick at which it was proposed. */
const outstanding = new Map<number, number>();
const latencies: number[] = [];
let committed = 0;
let tick = 0;

function processNode(id: string): void {
  const node = nodes.get(id)!;
  const store = storage.get(id)!;
  while (node.hasReady()) {
    const rd = node.ready();
    for (const m of rd.messages) wire.push(m);
    store.persist(rd);
    for (const m of rd.messagesAfterPersist) wire.push(m);
    if (node.role === 'leader') {
      for (const e of rd.committedEntries) {
        const at = outstanding.get(e.index);
        if (at === undefined) continue;
        outstanding.delete(e.index);
        latencies.push(tick - at);
        committed++;
      }
    }
    node.advance();
    // Keep memory flat: compact what every node has applied.
    if (node.log.applied - node.log.firstIndex() > 50_000) {
      node.compact(node.log.applied, new Uint8Array(0));
      store.compact(node.log.snapshot!);
    }
  }
}

function round(): void {
  tick++;
  for (const id of ids) processNode(id);
  const batch = wire;
  wire = [];
  for (const m of batch) nodes.get(m.to)!.step(m);
}

// Elect a, then measure.
nodes.get('a')!.campaign();
while (nodes.get('a')!.role !== 'leader' || wire.length > 0) round();
for (let i = 0; i < 10; i++) round();
const leader = nodes.get('a')!;

const started = process.hrtime.bigint();
const deadline = started + BigInt(Math.round(seconds * 1e9));
let rounds = 0;
while ((rounds & 63) !== 0 || process.hrtime.bigint() < deadline) {
  while (outstanding.size < proposers) {
    const r = leader.propose(payload);
    if (!r.ok) throw new Error(`proposal refused: ${r.reason}`);
    outstanding.set(r.index, tick);
  }
  round();
  // Heartbeats keep their own pace: one every 10 delivery rounds.
  if (rounds % 10 === 0) for (const n of nodes.values()) n.tick();
  rounds++;
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;

latencies.sort((x, y) => x - y);
const pct = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
const result = {
  benchmark: 'raft-core',
  date: new Date().toISOString(),
  node: process.version,
  nodes: ids.length,
  proposers,
  payloadBytes: payload.length,
  seconds: Number(elapsed.toFixed(2)),
  committed,
  proposalsPerSecond: Math.round(committed / elapsed),
  commitLatencyTicks: { p50: pct(0.5), p99: pct(0.99), max: latencies[latencies.length - 1] ?? 0 },
  target: 200_000,
};
const dir = path.join(__dirname, '..', 'bench', 'results');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'raft-core.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `raft core, ${ids.length} nodes in memory, ${proposers} proposers, ${elapsed.toFixed(1)} s: ` +
    `${result.proposalsPerSecond.toLocaleString('en')} committed proposals/s, ` +
    `commit latency p50 ${result.commitLatencyTicks.p50} / p99 ${result.commitLatencyTicks.p99} ticks ` +
    `(target ${result.target.toLocaleString('en')}/s)\n`,
);
