import { parseClusterAddress, formatClusterAddress } from '../../src/transport/address';
import { backoffDelay } from '../../src/transport/backoff';

describe('cluster addresses', () => {
  it.each([
    ['node-1', { host: 'node-1', port: 8139 }],
    ['node-1:9000', { host: 'node-1', port: 9000 }],
    ['10.0.0.1:8139', { host: '10.0.0.1', port: 8139 }],
    ['[::1]:7000', { host: '::1', port: 7000 }],
    ['[::1]', { host: '::1', port: 8139 }],
    ['::1', { host: '::1', port: 8139 }],
  ])('parses %s', (text, expected) => {
    expect(parseClusterAddress(text)).toEqual(expected);
  });

  it.each(['', 'host:0', 'host:70000', 'host:12a', ':8139'])('refuses %j', (text) => {
    expect(() => parseClusterAddress(text)).toThrow(/cluster address/);
  });

  it('formats IPv6 hosts in brackets', () => {
    expect(formatClusterAddress({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatClusterAddress({ host: 'a', port: 1 })).toBe('a:1');
  });
});

describe('reconnect backoff', () => {
  const policy = { initialMs: 100, maxMs: 5000 };

  it('doubles from the initial delay up to the cap, jittered within [d/2, d]', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(policy, a, () => 1))).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(policy, a, () => 0))).toEqual([50, 100, 200, 400]);
    expect(backoffDelay(policy, 10, () => 1)).toBe(5000);
    expect(backoffDelay(policy, 10_000, () => 0.5)).toBe(3750);
  });
});
