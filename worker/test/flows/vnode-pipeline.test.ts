import { Registry } from 'prom-client';
import { parseFlowDocument, validateFlowSpec } from '../../../control-plane/src/flow-spec';
import type { FlowSpec } from '../../../control-plane/src/flow-spec/schema';
import type { Json } from '../../src/flows/expressions/cel-values';
import { PipelineEvent } from '../../src/flows/operators/operator';
import { promCounters } from '../../src/flows/pipeline-counters';
import { VnodePipeline, routeToSinks, type PipelineState } from '../../src/flows/vnode-pipeline';

const CONTRACT_EXAMPLE = `
id: app-logs
sources:
  - id: in
    kind: http
distribution:
  strategy: hash
  key: event.application
pipeline:
  - where: 'event.level != "debug"'
  - throttle: { key: event.application, rate: 2, interval_ms: 1000 }
  - map: '{"app": event.application, "msg": event.message, "vnode": meta.vnode}'
sinks:
  - id: out
    kind: "null"
  - id: dropped
    from: overflow
    kind: "null"
  - id: broken
    from: err
    kind: "null"
`;

function flow(text: string): FlowSpec {
  const doc = parseFlowDocument(text, 'yaml');
  if (!doc.ok) throw new Error(JSON.stringify(doc.problems));
  const res = validateFlowSpec(doc.value);
  if (!res.ok) throw new Error(JSON.stringify(res.problems));
  return res.value;
}

const ev = (data: Json, ts: number): PipelineEvent =>
  new PipelineEvent(data, { vnode: 7, worker: 'w1', flow: 'app-logs', ingest_ts: ts });

const BATCH = [
  ev({ application: 'billing', level: 'info', message: 'm1' }, 100),
  ev({ application: 'billing', level: 'debug', message: 'dropped by where' }, 110),
  ev({ application: 'billing', level: 'warn', message: 'm2' }, 120),
  ev({ application: 'billing', level: 'info', message: 'm3 over the limit' }, 130),
  ev({ application: 'search', message: 'no level: an expression error' }, 140),
  ev({ application: 'billing', level: 'info', message: 'm4 next window' }, 1100),
];

describe('VnodePipeline', () => {
  it('runs the contract example: filter, throttle per key and window, project; routes ports to sinks', () => {
    const spec = flow(CONTRACT_EXAMPLE);
    const registry = new Registry();
    const pipeline = new VnodePipeline(spec, 7, promCounters(registry));
    const routed = routeToSinks(spec, pipeline.process(BATCH));
    expect(routed.get('out')).toEqual([
      { app: 'billing', msg: 'm1', vnode: 7 },
      { app: 'billing', msg: 'm2', vnode: 7 },
      { app: 'billing', msg: 'm4 next window', vnode: 7 },
    ]);
    expect(routed.get('dropped')).toEqual([
      { application: 'billing', level: 'info', message: 'm3 over the limit' },
    ]);
    expect(routed.get('broken')).toEqual([
      { application: 'search', message: 'no level: an expression error' },
    ]);
    return registry.metrics().then((text) => {
      expect(text).toContain('tremor_events_in_total{flow="app-logs",vnode="7"} 6');
      expect(text).toContain('tremor_events_out_total{flow="app-logs",vnode="7",port="out"} 3');
      expect(text).toContain(
        'tremor_events_out_total{flow="app-logs",vnode="7",port="overflow"} 1',
      );
      expect(text).toContain('tremor_events_out_total{flow="app-logs",vnode="7",port="err"} 1');
    });
  });

  it('carries its state to another instance (a vnode move) and continues the throttle exactly', () => {
    const spec = flow(CONTRACT_EXAMPLE);
    const a = new VnodePipeline(spec, 7);
    a.process(BATCH.slice(0, 3));
    const b = new VnodePipeline(spec, 7);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())) as PipelineState);
    const out = b.process(BATCH.slice(3));
    expect(out.overflow.map((e) => (e.data as { message: string }).message)).toEqual([
      'm3 over the limit',
    ]);
  });

  it('windows close through advance and what they emit runs through the operators after them', () => {
    const spec = flow(`
id: metrics
sources: [{ id: in, kind: http }]
pipeline:
  - window: { key: event.host, size_ms: 1000, aggregate: { n: count, cpu: "avg(event.cpu)" } }
  - where: 'event.n > 1'
sinks: [{ id: out, kind: stdout }]
`);
    const p = new VnodePipeline(spec, 0);
    p.process([
      ev({ host: 'a', cpu: 1 }, 10),
      ev({ host: 'a', cpu: 3 }, 20),
      ev({ host: 'b', cpu: 5 }, 30),
    ]);
    expect(p.advance(999).out).toEqual([]);
    expect(p.advance(1000).out.map((e) => e.data)).toEqual([
      { key: 'a', window_start: 0, window_end: 1000, n: 2, cpu: 2 },
    ]);
  });

  it('refuses state from a pipeline of another shape', () => {
    const p = new VnodePipeline(flow(CONTRACT_EXAMPLE), 7);
    expect(() => p.restore({ v: 1, operators: [] })).toThrow(/the flow changed/);
  });
});
