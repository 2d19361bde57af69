/**
 * An event and its meta as the expressions of a pipeline see them, converted to CEL values only as
 * far as those expressions read: each one says what it reads (`Reads`) before it runs, and gets
 * variables in which at least that is converted. A top-level field of the event is converted when
 * the first expression that reads it runs, and kept for the others.
 */
import { setOwn, toCel, type Json } from './cel-values';
import type { Reads } from './expression-reads';

/** What an expression sees of the event's origin (CONTRACT §4). */
export interface EventMeta {
  readonly vnode: number;
  readonly worker: string;
  readonly flow: string;
  /** Milliseconds, stamped once by the source that accepted the event. */
  readonly ingest_ts: number;
}

/** The variables handed to CEL; unconverted fields are never read by the expression they go to. */
export interface CelVariables {
  event: unknown;
  meta: unknown;
}

export class CelContext {
  private readonly variables: CelVariables;
  /** `variables.event` is `toCel(json)`, all of it converted. */
  private whole = false;

  constructor(
    private readonly json: Json,
    private readonly meta: EventMeta,
  ) {
    this.variables = { event: json, meta: undefined };
  }

  /** The variables for an expression that reads `reads`. */
  variablesFor(reads: Reads): CelVariables {
    if (reads.meta) this.variables.meta ??= celMeta(this.meta);
    if (this.whole) return this.variables;
    const fields = reads.eventFields;
    if (fields === null || !isJsonObject(this.json)) {
      this.variables.event = toCel(this.json);
      this.whole = true;
    } else if (fields.length > 0) this.convertFields(this.json, fields);
    return this.variables;
  }

  /**
   * The event stays the JSON object itself until a field read needs converting, then becomes a
   * shallow copy: unread fields keep their JSON values, and the object keeps every key (so what
   * CEL says about the map itself does not change with what was read).
   */
  private convertFields(json: { [key: string]: Json }, fields: readonly string[]): void {
    let event = this.variables.event as Record<string, unknown>;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as string;
      const v = json[f];
      // Strings, booleans and null need nothing, nor does an absent field: it stays absent, for
      // the same "No such key" error and the same has(). An inherited one (`toString`) is absent.
      if (typeof v !== 'number' && (typeof v !== 'object' || v === null)) continue;
      if (!Object.hasOwn(json, f)) continue;
      // Differs once converted: conversion returns its argument when nothing needs converting.
      if (event[f] !== v) continue;
      const c = toCel(v);
      if (c === v) continue;
      if (event === json) {
        event = { ...json };
        this.variables.event = event;
      }
      setOwn(event, f, c);
    }
  }
}

export function celContext(event: Json, meta: EventMeta): CelContext {
  return new CelContext(event, meta);
}

/**
 * The meta has a known shape: converted field by field, without the generic walk. Consecutive
 * events of a batch mostly share its values (one vnode, one flow, `ingest_ts` stamped per request
 * or per millisecond), so the last conversion is reused when they match: CEL never changes a value
 * it is given.
 */
let lastMeta: EventMeta | null = null;
let lastCelMeta: unknown = null;

function celMeta(meta: EventMeta): unknown {
  const last = lastMeta;
  if (
    last !== null &&
    last.ingest_ts === meta.ingest_ts &&
    last.vnode === meta.vnode &&
    last.flow === meta.flow &&
    last.worker === meta.worker
  ) {
    return lastCelMeta;
  }
  lastMeta = { vnode: meta.vnode, worker: meta.worker, flow: meta.flow, ingest_ts: meta.ingest_ts };
  lastCelMeta = {
    vnode: BigInt(meta.vnode),
    worker: meta.worker,
    flow: meta.flow,
    ingest_ts: BigInt(meta.ingest_ts),
  };
  return lastCelMeta;
}

function isJsonObject(json: Json): json is { [key: string]: Json } {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}
