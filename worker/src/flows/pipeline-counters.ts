/**
 * The pipeline's counters (`/metrics`): events in per flow and vnode, events out per port. An
 * interface, so the runner stays free of the metrics library; `promCounters` is the real one.
 */
import { Counter, type Registry } from 'prom-client';
import type { Port } from './operators/operator';

export interface PipelineCounters {
  eventsIn(flow: string, vnode: number, n: number): void;
  eventsOut(flow: string, vnode: number, port: Port, n: number): void;
}

export function promCounters(registry: Registry): PipelineCounters {
  const inTotal = new Counter({
    name: 'tremor_events_in_total',
    help: 'Events that entered a vnode pipeline.',
    labelNames: ['flow', 'vnode'],
    registers: [registry],
  });
  const outTotal = new Counter({
    name: 'tremor_events_out_total',
    help: 'Events a vnode pipeline put on a port (out, overflow, err).',
    labelNames: ['flow', 'vnode', 'port'],
    registers: [registry],
  });
  return {
    eventsIn: (flow, vnode, n) => inTotal.inc({ flow, vnode: String(vnode) }, n),
    eventsOut: (flow, vnode, port, n) => outTotal.inc({ flow, vnode: String(vnode), port }, n),
  };
}
