import { getFlow, listFlows } from '../../src/cluster-state/queries';
import { cmd, cluster } from './fixtures';

const spec = { id: 'logs', sources: [{ id: 'in', kind: 'http' }] };

describe('flow.put', () => {
  it('creates a running flow stamped with its revision', () => {
    const r = cluster();
    const data = r.ok(cmd.putFlow('logs', spec, 'create'));
    expect(data).toEqual({
      flow: { id: 'logs', spec, status: 'running', revision: r.index },
      created: true,
    });
    expect(getFlow(r.state, 'logs')).toBe(data.flow);
  });

  it('refuses to create an existing id: TREMOR_FLOW_EXISTS', () => {
    const r = cluster();
    r.ok(cmd.putFlow('logs', spec));
    const refusal = r.refused(cmd.putFlow('logs', { other: true }, 'create'), 'TREMOR_FLOW_EXISTS');
    expect(refusal.details).toEqual({ id: 'logs' });
    expect(getFlow(r.state, 'logs')?.spec).toBe(spec);
  });

  it('replaces the spec on upsert and keeps the status', () => {
    const r = cluster();
    r.ok(cmd.putFlow('logs', spec));
    r.ok(cmd.setFlowStatus('logs', 'paused'));
    const data = r.ok(cmd.putFlow('logs', { replaced: 1 }));
    expect(data).toEqual({
      flow: { id: 'logs', spec: { replaced: 1 }, status: 'paused', revision: r.index },
      created: false,
    });
  });

  it('lists flows by id', () => {
    const r = cluster();
    for (const id of ['b', 'c', 'a']) r.ok(cmd.putFlow(id));
    expect(listFlows(r.state).map((f) => f.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('flow.set-status', () => {
  it('pauses and resumes, bumping the revision', () => {
    const r = cluster();
    r.ok(cmd.putFlow('logs', spec));
    expect(r.ok(cmd.setFlowStatus('logs', 'paused'))).toMatchObject({
      flow: { status: 'paused', revision: r.index },
      changed: true,
    });
    expect(r.ok(cmd.setFlowStatus('logs', 'running')).flow.status).toBe('running');
  });

  it('leaves the revision alone when the status does not change', () => {
    const r = cluster();
    const created = r.ok(cmd.putFlow('logs', spec)).flow;
    expect(r.ok(cmd.setFlowStatus('logs', 'running'))).toEqual({ flow: created, changed: false });
  });

  it('refuses an unknown flow: TREMOR_FLOW_NOT_FOUND', () => {
    const refusal = cluster().refused(cmd.setFlowStatus('x', 'paused'), 'TREMOR_FLOW_NOT_FOUND');
    expect(refusal.details).toEqual({ id: 'x' });
  });
});

describe('flow.delete', () => {
  it('deletes and answers the deleted flow', () => {
    const r = cluster();
    r.ok(cmd.putFlow('logs', spec));
    expect(r.ok(cmd.deleteFlow('logs')).flow.id).toBe('logs');
    expect(getFlow(r.state, 'logs')).toBeUndefined();
  });

  it('refuses an unknown flow: TREMOR_FLOW_NOT_FOUND', () => {
    cluster().refused(cmd.deleteFlow('logs'), 'TREMOR_FLOW_NOT_FOUND');
  });
});
