/**
 * Checks on decoded data that arrived as bytes (Raft entries, snapshots). The types promise a
 * shape; only these checks make it true, so a bad entry is refused instead of corrupting the
 * state or crashing the apply loop.
 */
import { isJsonObject, type JsonObject, type JsonValue } from './json';

/** Thrown inside the decoders and turned into their typed failures; never escapes them. */
export class ShapeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ShapeError';
  }
}

export function expectString(value: JsonValue | undefined, where: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${where} must be a string`);
  return value;
}

export function expectId(value: JsonValue | undefined, where: string): string {
  const id = expectString(value, where);
  if (id === '') throw new ShapeError(`${where} must not be empty`);
  return id;
}

/** A safe integer of at least `min`; revisions, epochs and counts are all of this kind. */
export function expectInteger(value: JsonValue | undefined, where: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ShapeError(`${where} must be an integer >= ${min}`);
  }
  return value;
}

export function expectOneOf<T extends string>(
  value: JsonValue | undefined,
  allowed: readonly T[],
  where: string,
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ShapeError(`${where} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function expectArray(value: JsonValue | undefined, where: string): JsonValue[] {
  if (!Array.isArray(value)) throw new ShapeError(`${where} must be an array`);
  return value;
}

export function expectObject(value: JsonValue | undefined, where: string): JsonObject {
  if (value === undefined || !isJsonObject(value)) {
    throw new ShapeError(`${where} must be an object`);
  }
  return value;
}

export function expectTuple(
  value: JsonValue | undefined,
  length: number,
  where: string,
): JsonValue[] {
  const items = expectArray(value, where);
  if (items.length !== length) throw new ShapeError(`${where} must have ${length} items`);
  return items;
}

/**
 * Reads an object's fields one by one and, at the end, refuses any field nobody read: an unknown
 * field means the writer knew something this reader does not.
 */
export class Fields {
  private readonly seen = new Set<string>();

  constructor(
    private readonly fields: JsonObject,
    readonly where: string,
  ) {}

  static of(value: JsonValue | undefined, where: string): Fields {
    return new Fields(expectObject(value, where), where);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.fields, name);
  }

  value(name: string): JsonValue {
    if (!this.has(name)) throw new ShapeError(`${this.where}.${name} is missing`);
    this.seen.add(name);
    return this.fields[name] as JsonValue;
  }

  string(name: string): string {
    return expectString(this.value(name), this.path(name));
  }

  id(name: string): string {
    return expectId(this.value(name), this.path(name));
  }

  nullableId(name: string): string | null {
    const value = this.value(name);
    return value === null ? null : expectId(value, this.path(name));
  }

  integer(name: string, min = 0): number {
    return expectInteger(this.value(name), this.path(name), min);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    return expectOneOf(this.value(name), allowed, this.path(name));
  }

  array(name: string): JsonValue[] {
    return expectArray(this.value(name), this.path(name));
  }

  object(name: string): JsonObject {
    return expectObject(this.value(name), this.path(name));
  }

  path(name: string): string {
    return `${this.where}.${name}`;
  }

  done(): void {
    for (const key of Object.keys(this.fields)) {
      if (!this.seen.has(key)) throw new ShapeError(`${this.where} has unknown field ${key}`);
    }
  }
}
