/**
 * The commands the Raft log carries and what applying each one answers. Every command names the
 * format version it was written in, so a coordinator can refuse one from a newer release instead
 * of misreading it.
 */
import type { JsonObject, JsonValue } from './json';
import type { Refusal } from './refusals';
import type {
  Coordinator,
  CoordinatorId,
  Flow,
  FlowId,
  FlowStatus,
  Worker,
  WorkerId,
  WorkerStatus,
} from './state';

export const COMMAND_VERSION = 1;

type V = typeof COMMAND_VERSION;

export interface VnodeMove {
  readonly vnode: number;
  /** Null unassigns: the vnode waits, its events kept, until a later move. */
  readonly owner: WorkerId | null;
  /** The epoch the plan saw; any other current epoch refuses the whole batch. */
  readonly expectedEpoch: number;
}

/** `create` refuses an existing id (POST); `upsert` creates or replaces (PUT). */
export type FlowPutMode = 'create' | 'upsert';

/** `left` is reached only through `worker.leave`, which also releases the worker's vnodes. */
export type SettableWorkerStatus = Exclude<WorkerStatus, 'left'>;

export type Command =
  | {
      readonly v: V;
      readonly kind: 'bootstrap';
      readonly name: string;
      readonly vnodeCount: number;
    }
  | {
      readonly v: V;
      readonly kind: 'coordinator.add';
      readonly id: CoordinatorId;
      readonly address: string;
      readonly api: string;
    }
  | { readonly v: V; readonly kind: 'coordinator.remove'; readonly id: CoordinatorId }
  | {
      readonly v: V;
      readonly kind: 'worker.join';
      readonly id: WorkerId;
      readonly api: string;
      /** Checked here, not only by the coordinator that received the join: the log decides. */
      readonly clusterName: string;
      readonly vnodeCount: number;
    }
  | { readonly v: V; readonly kind: 'worker.leave'; readonly id: WorkerId }
  | {
      readonly v: V;
      readonly kind: 'worker.set-state';
      readonly id: WorkerId;
      readonly state: SettableWorkerStatus;
    }
  | { readonly v: V; readonly kind: 'vnode.assign'; readonly moves: readonly VnodeMove[] }
  | {
      readonly v: V;
      readonly kind: 'flow.put';
      readonly id: FlowId;
      readonly spec: JsonObject;
      readonly mode: FlowPutMode;
    }
  | {
      readonly v: V;
      readonly kind: 'flow.set-status';
      readonly id: FlowId;
      readonly status: FlowStatus;
    }
  | { readonly v: V; readonly kind: 'flow.delete'; readonly id: FlowId }
  | { readonly v: V; readonly kind: 'kv.put'; readonly key: string; readonly value: JsonValue }
  | {
      readonly v: V;
      readonly kind: 'kv.cas';
      readonly key: string;
      /** Null means "the key is absent", so a stored JSON null cannot be compared against. */
      readonly expected: JsonValue;
      readonly value: JsonValue;
    }
  | { readonly v: V; readonly kind: 'kv.delete'; readonly key: string };

export type CommandKind = Command['kind'];

export type CommandOf<K extends CommandKind> = Extract<Command, { readonly kind: K }>;

export interface KvWritten {
  readonly key: string;
  readonly value: JsonValue;
  readonly revision: number;
}

export interface VnodeMoved {
  readonly vnode: number;
  readonly from: WorkerId | null;
  readonly to: WorkerId | null;
  readonly epoch: number;
}

/** What a successful command answers, by kind. `changed: false` marks an idempotent repeat. */
export interface ApplyData {
  bootstrap: { readonly name: string; readonly vnodeCount: number; readonly changed: boolean };
  'coordinator.add': { readonly coordinator: Coordinator; readonly changed: boolean };
  'coordinator.remove': { readonly coordinator: Coordinator };
  'worker.join': { readonly worker: Worker; readonly rejoined: boolean };
  /** `released`: the vnodes it still owned, now unassigned with bumped epochs. */
  'worker.leave': { readonly worker: Worker; readonly released: readonly VnodeMoved[] };
  'worker.set-state': { readonly worker: Worker; readonly changed: boolean };
  /** Moves to the current owner are no-ops and not listed. */
  'vnode.assign': { readonly moved: readonly VnodeMoved[] };
  'flow.put': { readonly flow: Flow; readonly created: boolean };
  'flow.set-status': { readonly flow: Flow; readonly changed: boolean };
  'flow.delete': { readonly flow: Flow };
  'kv.put': KvWritten;
  'kv.cas': KvWritten;
  'kv.delete': { readonly key: string; readonly deleted: boolean };
}

export interface Applied<K extends CommandKind> {
  readonly ok: true;
  readonly data: ApplyData[K];
}

export type ApplyResult<K extends CommandKind = CommandKind> = Applied<K> | Refusal;
