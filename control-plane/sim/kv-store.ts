/**
 * The simulated application: a key-value register replicated through the Raft log. Each command
 * names the client operation it carries, so whichever node applies it can answer that client.
 */
export type KvCommand =
  | { readonly op: number; readonly kind: 'put'; readonly key: string; readonly value: string }
  | {
      readonly op: number;
      readonly kind: 'cas';
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    };

export type KvApplyResult = { kind: 'put' } | { kind: 'cas'; ok: boolean };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand | null {
  return data.length === 0 ? null : (JSON.parse(decoder.decode(data)) as KvCommand);
}

export class KvStore {
  private map = new Map<string, string>();

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  apply(c: KvCommand): KvApplyResult {
    if (c.kind === 'put') {
      this.map.set(c.key, c.value);
      return { kind: 'put' };
    }
    const ok = this.get(c.key) === c.expected;
    if (ok) this.map.set(c.key, c.value);
    return { kind: 'cas', ok };
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.map.entries()].sort()));
  }

  static restore(data: Uint8Array | null): KvStore {
    const kv = new KvStore();
    if (data && data.length > 0) {
      kv.map = new Map(JSON.parse(decoder.decode(data)) as [string, string][]);
    }
    return kv;
  }

  /** A canonical form, to compare replicas. */
  digest(): string {
    return JSON.stringify([...this.map.entries()].sort());
  }
}
