/**
 * Events are JSON; CEL has distinct int and double types. An integral JSON number enters CEL as
 * an int (so `event.n + 1` works), any other number as a double; results come back as JSON, with
 * ints as numbers. CEL values JSON cannot hold (bytes, types, durations) are refused by the caller
 * as an expression error, so nothing unserializable reaches a sink.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

export class NotJsonError extends Error {
  constructor(what: string) {
    super(`the expression produced ${what}, which is not JSON`);
    this.name = 'NotJsonError';
  }
}

export function fromCel(value: unknown): Json {
  switch (typeof value) {
    case 'bigint':
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new NotJsonError(`the integer ${value}, beyond what JSON numbers hold exactly`);
      }
      return Number(value);
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
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new NotJsonError(`a ${value.constructor?.name ?? 'non-JSON'} value`);
      }
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value)) out[k] = fromCel(v);
      return out;
    }
    default:
      throw new NotJsonError(`a ${typeof value}`);
  }
}
