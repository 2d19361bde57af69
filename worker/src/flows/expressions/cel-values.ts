/**
 * Events are JSON; CEL has distinct int and double types. An integral JSON number enters CEL as
 * an int (so `event.n + 1` works), any other number as a double; results come back as JSON, with
 * ints as numbers. CEL values JSON cannot hold (bytes, types, durations) are refused by the caller
 * as an expression error, so nothing unserializable reaches a sink.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  // Copy on write: containers without integers inside are passed through as they are. This is
  // the hot path of every pipeline (one call per event), hence the plain loops.
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const c = toCel(v);
      if (c !== v) {
        out ??= value.slice();
        out[i] = c;
      }
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    const c = toCel(v);
    if (c !== v) {
      out ??= { ...obj };
      setOwn(out, k, c);
    }
  }
  return out ?? obj;
}

export class NotJsonError extends Error {
  constructor(what: string) {
    super(`the expression produced ${what}, which is not JSON`);
    this.name = 'NotJsonError';
  }
}

export function fromCel(value: unknown): Json {
  switch (typeof value) {
    case 'bigint': {
      // Beyond the safe range, the conversion lands on an unsafe number too (2^53 + 1 on 2^53).
      const n = Number(value);
      if (!Number.isSafeInteger(n)) {
        throw new NotJsonError(`the integer ${value}, beyond what JSON numbers hold exactly`);
      }
      return n;
    }
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(String(value));
      return value;
    case 'string':
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(fromCel);
      if (value instanceof Map) {
        const out: Record<string, Json> = {};
        for (const [k, v] of value) {
          if (typeof k !== 'string') throw new NotJsonError('a map with non-string keys');
          out[k] = fromCel(v);
        }
        return out;
      }
      const obj = value as Record<string, unknown>;
      if (obj.constructor !== Object) {
        const proto = Object.getPrototypeOf(obj) as unknown;
        if (proto !== null)
          throw new NotJsonError(`a ${obj.constructor?.name ?? 'non-JSON'} value`);
      }
      // A copy (CEL may hand back the event's own objects), then the values that change replaced:
      // cloning keeps the object's shape, where adding key after key builds one per object.
      const out: Record<string, unknown> = { ...obj };
      for (const k in out) {
        if (!Object.hasOwn(out, k)) continue;
        const v = out[k];
        if (typeof v === 'string' || typeof v === 'boolean') continue;
        const j = fromCel(v);
        if (j !== v) setOwn(out, k, j);
      }
      return out as Json;
    }
    default:
      throw new NotJsonError(`a ${typeof value}`);
  }
}

/** `out[k] = v`, except that a key `__proto__` (valid JSON) stays a key instead of a prototype. */
export function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') {
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else out[k] = v;
}
