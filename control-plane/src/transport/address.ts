/**
 * Cluster addresses as the command line spells them (CONTRACT §1): `host[:port]`, the port 8139
 * when left out, IPv6 hosts in brackets (`[::1]:8139`); a bare IPv6 address takes the default port.
 */
export const DEFAULT_CLUSTER_PORT = 8139;

export interface ClusterAddress {
  readonly host: string;
  readonly port: number;
}

export function parseClusterAddress(address: string): ClusterAddress {
  const s = address.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1] ?? '', port: port(bracketed[2], address) };
  const colons = s.split(':').length - 1;
  if (colons === 1) {
    const [host = '', p] = s.split(':');
    if (host === '') throw new Error(`cluster address ${JSON.stringify(address)} has no host`);
    return { host, port: port(p, address) };
  }
  if (s === '') throw new Error('cluster address is empty');
  return { host: s, port: DEFAULT_CLUSTER_PORT };
}

export function formatClusterAddress(a: ClusterAddress): string {
  return `${bracketed(a.host)}:${a.port}`;
}

/** A host as it goes before `:port` in an address or URL: an IPv6 address in brackets. */
export function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function port(text: string | undefined, address: string): number {
  if (text === undefined) return DEFAULT_CLUSTER_PORT;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new Error(`cluster address ${JSON.stringify(address)} has an invalid port`);
  }
  return n;
}
