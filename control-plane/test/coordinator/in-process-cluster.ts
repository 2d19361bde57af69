/**
 * Coordinators as objects in the test process, on loopback ports with real write-ahead logs in
 * temporary directories: for tests of the host loop, formation and membership that do not need
 * separate processes (those live in the end-to-end suite).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CoordinatorNode,
  type CoordinatorNodeOptions,
} from '../../src/coordinator/coordinator-node';
import { freePort } from '../../../local/src/free-port';
import { SILENT_LOGGER } from '../../src/transport/logger';

export interface Member {
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  node: CoordinatorNode;
}

export class InProcessCluster {
  readonly members: Member[] = [];
  private readonly dirs: string[] = [];

  constructor(private readonly overrides: Partial<CoordinatorNodeOptions> = {}) {}

  /** Allocates `n` addresses; every member gets all of them as `--peers`. */
  async create(n: number): Promise<Member[]> {
    const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
    const peers = ports.map((p) => `127.0.0.1:${p}`);
    for (const port of ports) {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tremor-coord-'));
      this.dirs.push(dataDir);
      const address = `127.0.0.1:${port}`;
      this.members.push({
        address,
        port,
        dataDir,
        node: this.build(address, port, dataDir, peers),
      });
    }
    return this.members;
  }

  build(address: string, port: number, dataDir: string, peers: readonly string[]): CoordinatorNode {
    return new CoordinatorNode({
      nodeId: address,
      advertiseAddress: address,
      apiUrl: `http://${address}/api`,
      peers,
      clusterName: 'test',
      vnodes: 8,
      clusterSecret: 'secret',
      dataDir,
      bindHost: '127.0.0.1',
      clusterPort: port,
      snapshotStore: null,
      snapshotEvery: 10_000,
      logger: SILENT_LOGGER,
      tickMs: 20,
      ...this.overrides,
    });
  }

  /** Stops a member's node and builds a new one on the same data dir (a restart). */
  async restart(m: Member): Promise<void> {
    await m.node.stop();
    m.node = this.build(
      m.address,
      m.port,
      m.dataDir,
      this.members.map((x) => x.address),
    );
    await m.node.start();
  }

  /** Stops a member, loses its disk, and starts a new node at the same address (a new container). */
  async restartWithEmptyDisk(m: Member): Promise<void> {
    await m.node.stop();
    await rm(m.dataDir, { recursive: true, force: true });
    await mkdir(m.dataDir, { recursive: true });
    m.node = this.build(
      m.address,
      m.port,
      m.dataDir,
      this.members.map((x) => x.address),
    );
    await m.node.start();
  }

  leader(): Member | undefined {
    return this.members.find(
      (m) => m.node.lifecycle === 'running' && m.node.raft?.node.role === 'leader',
    );
  }

  async waitForLeader(timeoutMs = 10_000, except?: Member): Promise<Member> {
    return waitFor(
      () => {
        const l = this.leader();
        return l !== undefined && l !== except && l.node.state().name !== null ? l : undefined;
      },
      timeoutMs,
      'a leader with the cluster bootstrapped',
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.node.stop()));
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

export async function waitFor<T>(
  probe: () => T | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
