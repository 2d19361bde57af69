/**
 * A worker's own metrics (`/metrics`), besides the pipeline counters: the vnodes it owns, their
 * backlog, and the vnodes it took over, by how (a planned hand-off from a live worker, or a
 * takeover after a crash). An interface, so the runtime stays free of the metrics library.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type TakeoverKind = 'handoff' | 'takeover' | 'unowned';

export interface WorkerMetrics {
  vnodesOwned(n: number): void;
  /** Events waiting in `vnode`'s streams (over every flow), as last measured. */
  backlog(vnode: number, n: number): void;
  /** The vnode no longer belongs here: its backlog is someone else's to report. */
  forget(vnode: number): void;
  tookVnodes(kind: TakeoverKind, n: number): void;
}

export const NO_WORKER_METRICS: WorkerMetrics = {
  vnodesOwned: () => {},
  backlog: () => {},
  forget: () => {},
  tookVnodes: () => {},
};

export function promWorkerMetrics(registry: Registry): WorkerMetrics {
  const owned = new Gauge({
    name: 'tremor_vnodes_owned',
    help: 'Vnodes this worker owns.',
    registers: [registry],
  });
  const backlog = new Gauge({
    name: 'tremor_vnode_backlog',
    help: "Events waiting in a vnode's streams (all flows), for the vnodes this worker owns.",
    labelNames: ['vnode'],
    registers: [registry],
  });
  const taken = new Counter({
    name: 'tremor_vnode_takeovers_total',
    help: 'Vnodes this worker took: handoff (from a live worker), takeover (after a failure), unowned.',
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    vnodesOwned: (n) => owned.set(n),
    backlog: (vnode, n) => backlog.set({ vnode: String(vnode) }, n),
    forget: (vnode) => backlog.remove({ vnode: String(vnode) }),
    tookVnodes: (kind, n) => taken.inc({ kind }, n),
  };
}
