import { MemoryRaftStorage } from '../../src/raft-host/memory-raft-storage';
import { ProposalRejectedError, RaftHost, type StateMachine } from '../../src/raft-host/raft-host';
import { RaftNode } from '../../src/raft/raft';
import type { Entry, Snapshot } from '../../src/raft/types';
import { SILENT_LOGGER } from '../../src/logger';

/** Sums the bytes of every normal entry: easy to check after a snapshot restore. */
class Counter implements StateMachine {
  total = 0;
  apply(e: Entry): number {
    if (e.type === 'normal') this.total += e.data.length;
    return this.total;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.total));
  }
  restore(s: Snapshot): void {
    this.total = Number(new TextDecoder().decode(s.data));
  }
}

function soloHost(
  storage: MemoryRaftStorage,
  machine: StateMachine,
  extra: { snapshotEvery?: number; snapshotBytes?: number; onFatal?: (e: unknown) => void } = {},
): RaftHost {
  return new RaftHost({
    id: 'solo',
    storage,
    persisted: RaftNode.bootstrap(['solo']),
    stateMachine: machine,
    send: () => {},
    tickMs: 5,
    snapshotEvery: extra.snapshotEvery ?? 1000,
    ...(extra.snapshotBytes === undefined ? {} : { snapshotBytes: extra.snapshotBytes }),
    logger: SILENT_LOGGER,
    ...(extra.onFatal ? { onFatal: extra.onFatal } : {}),
  });
}

async function untilLeader(host: RaftHost): Promise<void> {
  for (let i = 0; i < 400 && host.node.role !== 'leader'; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(host.node.role).toBe('leader');
}

describe('RaftHost', () => {
  it('hands each proposer the state machine result of its entry, in order', async () => {
    const machine = new Counter();
    const host = soloHost(new MemoryRaftStorage(RaftNode.bootstrap(['solo'])), machine);
    host.start();
    await untilLeader(host);
    const results = await Promise.all([1, 2, 3].map((n) => host.propose(new Uint8Array(n))));
    expect(results).toEqual([1, 3, 6]);
    await host.readIndex();
    expect(machine.total).toBe(6);
    await host.stop();
  });

  it('snapshots after the configured bytes even when few entries were applied', async () => {
    const storage = new MemoryRaftStorage(RaftNode.bootstrap(['solo']));
    const host = soloHost(storage, new Counter(), { snapshotEvery: 1000, snapshotBytes: 1000 });
    host.start();
    await untilLeader(host);
    await host.propose(new Uint8Array(600));
    expect(host.node.log.snapshot).toBeNull();
    await host.propose(new Uint8Array(600));
    expect(host.node.log.snapshot?.meta.index).toBe(host.appliedIndex);
    await host.stop();
    // What storage holds restores the state: the snapshot plus nothing lost after it.
    const restored = new Counter();
    const persisted = await storage.load();
    expect(persisted.snapshot).not.toBeNull();
    if (persisted.snapshot) restored.restore(persisted.snapshot);
    expect(restored.total).toBe(1200);
  });

  it('fails pending callers and reports a storage failure instead of acknowledging', async () => {
    const storage = new MemoryRaftStorage(RaftNode.bootstrap(['solo']));
    let fatal: unknown = null;
    const host = soloHost(storage, new Counter(), { onFatal: (e) => (fatal = e) });
    host.start();
    await untilLeader(host);
    storage.persist = () => Promise.reject(new Error('disk full'));
    await expect(host.propose(new Uint8Array(1))).rejects.toBeInstanceOf(ProposalRejectedError);
    expect(host.state).toBe('failed');
    expect((fatal as Error).message).toBe('disk full');
    await host.stop();
  });

  it('rejects proposals once stopped', async () => {
    const host = soloHost(new MemoryRaftStorage(RaftNode.bootstrap(['solo'])), new Counter());
    host.start();
    await untilLeader(host);
    await host.stop();
    await expect(host.propose(new Uint8Array(1))).rejects.toBeInstanceOf(ProposalRejectedError);
  });
});
