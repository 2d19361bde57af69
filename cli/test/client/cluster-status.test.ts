import type { ClusterView, VnodeView } from '../../client/api-types';
import { renderVnodeMap } from '../../client/vnode-map';
import { apiError, FakeApi, tremor } from './harness';

const CLUSTER: ClusterView = {
  name: 'prod',
  vnodes: 8,
  leader: 'c1:8139',
  term: 7,
  coordinators: [
    {
      id: 'c1:8139',
      address: 'c1:8139',
      api: 'http://c1:9898',
      role: 'leader',
      voter: true,
      reachable: true,
    },
    {
      id: 'c2:8139',
      address: 'c2:8139',
      api: 'http://c2:9898',
      role: 'follower',
      voter: true,
      reachable: false,
    },
    { id: 'c3:8139', address: null, api: null, role: 'learner', voter: false, reachable: true },
  ],
  workers: [
    { id: 'w-one', api: 'http://w1:9898', state: 'alive', vnodes: [0, 1, 2] },
    { id: 'w-two', api: 'http://w2:9898', state: 'suspect', vnodes: [3, 4, 6] },
    { id: 'w-gone', api: 'http://w3:9898', state: 'dead', vnodes: [] },
  ],
};

const owners = ['w-one', 'w-one', 'w-one', 'w-two', 'w-two', null, 'w-two', 'w-one'];
const VNODES: VnodeView[] = owners.map((owner, vnode) => ({
  vnode,
  owner,
  epoch: 1,
  backlog: owner === null ? null : vnode,
}));

const FLOWS = [
  { id: 'app-logs', status: 'running', revision: 4 },
  { id: 'metrics', status: 'paused', revision: 9 },
];

function api(cluster: unknown = CLUSTER, vnodes: unknown = VNODES, flows: unknown = FLOWS) {
  return new FakeApi()
    .on('GET /v1/cluster', { body: cluster })
    .on('GET /v1/cluster/vnodes', { body: vnodes })
    .on('GET /v1/flows', { body: flows });
}

describe('tremor cluster status', () => {
  it('prints the cluster, the coordinators, the workers, the vnode picture and the flows', async () => {
    const fake = api();
    const run = await tremor(['cluster', 'status'], { fetch: fake.fetch });
    expect(run.stderr).toBe('');
    expect(run.exits).toEqual([0]);
    expect(fake.calls().sort()).toEqual([
      'GET /v1/cluster',
      'GET /v1/cluster/vnodes',
      'GET /v1/flows',
    ]);
    expect(run.stdout).toBe(
      [
        'cluster prod: 8 vnodes, leader c1:8139, term 7',
        '',
        'COORDINATORS',
        'ID       ADDRESS  ROLE      VOTER  REACHABLE',
        'c1:8139  c1:8139  leader    yes    yes',
        'c2:8139  c2:8139  follower  yes    no',
        'c3:8139  -        learner   no     yes',
        '',
        'WORKERS',
        'ID      STATE    VNODES  API',
        'w-one   alive    3       http://w1:9898',
        'w-two   suspect  3       http://w2:9898',
        'w-gone  dead     0       http://w3:9898',
        '',
        'VNODES (8)',
        '  0  aaabb.ba',
        '',
        '  a = w-one (4)',
        '  b = w-two (3)',
        '  . = unassigned (1)',
        '',
        'backlog: 23 events waiting',
        '',
        'FLOWS',
        'ID        STATUS',
        'app-logs  running',
        'metrics   paused',
        '',
      ].join('\n'),
    );
  });

  it('--json prints one object { cluster, vnodes, flows }, as the API gave them', async () => {
    const run = await tremor(['cluster', 'status', '--json'], { fetch: api().fetch });
    expect(run.exits).toEqual([0]);
    expect(JSON.parse(run.stdout)).toEqual({ cluster: CLUSTER, vnodes: VNODES, flows: FLOWS });
    expect(run.stdout).toBe(
      `${JSON.stringify({ cluster: CLUSTER, vnodes: VNODES, flows: FLOWS }, null, 2)}\n`,
    );
  });

  it('says when there is no leader, no worker and no flow', async () => {
    const empty = { ...CLUSTER, leader: null, name: null, workers: [] };
    const unassigned = VNODES.map((v) => ({ ...v, owner: null, backlog: null }));
    const run = await tremor(['cluster', 'status'], { fetch: api(empty, unassigned, []).fetch });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toContain('cluster (not bootstrapped yet): 8 vnodes, no leader, term 7\n');
    expect(run.stdout).toContain(
      'WORKERS\nnone: the cluster is on stand-by (flows are kept and start when a worker joins)\n',
    );
    expect(run.stdout).toContain('  0  ........\n\n  . = unassigned (8)\n');
    expect(run.stdout).not.toContain('backlog');
    expect(run.stdout).toMatch(/FLOWS\nnone\n$/);
  });

  it('asked a node that does not know the backlog, names the API of the leader, which does', async () => {
    const unknown = VNODES.map((v) => ({ ...v, backlog: null }));
    const run = await tremor(['cluster', 'status'], { fetch: api(CLUSTER, unknown).fetch });
    expect(run.exits).toEqual([0]);
    expect(run.stdout).toContain(
      '\nbacklog: not known by this node; the leader (--api http://c1:9898) has it once the workers have reported\n',
    );
  });

  it('fails with the API error, exit 1', async () => {
    const fake = api().on('GET /v1/cluster/vnodes', apiError(503, 'TREMOR_NO_LEADER', 'no leader'));
    const run = await tremor(['cluster', 'status'], { fetch: fake.fetch });
    expect(run.exits).toEqual([1]);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('tremor: TREMOR_NO_LEADER: no leader\n');
  });

  it('takes no arguments', async () => {
    const run = await tremor(['cluster', 'status', 'extra'], { fetch: api().fetch });
    expect(run.exits).toEqual([2]);
    expect(run.stderr).toContain("error: too many arguments for 'status'");
  });
});

describe('the vnode picture', () => {
  const worker = (id: string, vnodes: number[]) => ({ id, api: '', state: 'alive', vnodes });

  it('wraps at 64 vnodes a line, each line numbered by its first vnode', () => {
    const vnodes = Array.from({ length: 130 }, (_, vnode) => ({
      vnode,
      owner: vnode < 100 ? 'w1' : 'w2',
      epoch: 1,
      backlog: 0,
    }));
    const text = renderVnodeMap(130, vnodes, [worker('w1', []), worker('w2', [])]);
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `    0  ${'a'.repeat(64)}`,
      `   64  ${'a'.repeat(36)}${'b'.repeat(28)}`,
      '  128  bb',
    ]);
    expect(text).toContain('  a = w1 (100)\n  b = w2 (30)\n');
  });

  it('letters the owners in the order of the workers table, then owners it does not list', () => {
    const vnodes = ['ghost', 'w2', 'w1'].map((owner, vnode) => ({
      vnode,
      owner,
      epoch: 1,
      backlog: null,
    }));
    const text = renderVnodeMap(3, vnodes, [worker('w1', [2]), worker('w2', [1])]);
    expect(text.split('\n')[0]).toBe('  0  cba');
    expect(text).toContain('  a = w1 (1)\n  b = w2 (1)\n  c = ghost (1)\n');
    expect(text).toContain(
      'backlog: not known by this node; the leader has it once the workers have reported',
    );
  });

  it('past 62 owners the rest share one mark', () => {
    const vnodes = Array.from({ length: 64 }, (_, vnode) => ({
      vnode,
      owner: `w${vnode}`,
      epoch: 1,
      backlog: vnode < 60 ? 1 : null,
    }));
    const text = renderVnodeMap(64, vnodes, []);
    expect(text.split('\n')[0]).toBe(
      '   0  abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789**',
    );
    expect(text).toContain('  * = 2 more workers (2)\n');
    expect(text).toContain('backlog: 60 events waiting (4 vnodes not reported)');
  });
});
