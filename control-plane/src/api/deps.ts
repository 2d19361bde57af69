/**
 * What `buildApp` is built from. Everything the API touches outside itself comes in here, so a
 * test can build the whole app around an in-memory coordinator and `inject()` requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CoordinatorService } from '../coordinator/service';

export type NodeRole = 'coordinator' | 'worker';

/** A request as it is sent on to the leader. */
export interface ForwardRequest {
  readonly method: string;
  /** Path and query string, as this node received them. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body serialized again as JSON; absent when the request had none. */
  readonly body?: string;
  readonly timeoutMs: number;
}

/** The leader's answer, passed back to the client as it is. */
export interface ForwardResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends `request` to the leader's API at base URL `leaderApi`; rejects when it cannot. */
export type Forwarder = (leaderApi: string, request: ForwardRequest) => Promise<ForwardResponse>;

/** One event as ingest accepts it: a JSON object. */
export type IngestEvent = Record<string, unknown>;

/**
 * Where a worker's ingest route hands accepted events (the worker runtime, in a later issue). It
 * resolves with the number appended only once all are durable, and appends nothing when it
 * rejects (a TremorError such as TREMOR_FLOW_NOT_FOUND or TREMOR_BACKPRESSURE).
 */
export interface IngestSink {
  ingest(flow: string, source: string, events: readonly IngestEvent[]): Promise<number>;
}

export interface ApiDeps {
  readonly service: CoordinatorService;
  /** Reported by `GET /v1/version` and in the OpenAPI document. */
  readonly version: string;
  /** When set, every route but `/health/*` needs `Authorization: Bearer <token>`. */
  readonly apiToken: string | null;
  /** Largest accepted request body in bytes; default 16 MiB. */
  readonly bodyLimit?: number;
  /** The process's Prometheus registry: `/metrics` serves it and the HTTP metrics go into it. */
  readonly metrics: Registry;
  readonly logger: Logger | false;
  /** How requests reach the leader; default: `fetch`. */
  readonly forward?: Forwarder;
  /** How long a forwarded request may take; default 10 s (above the 5 s proposal timeout). */
  readonly forwardTimeoutMs?: number;
  /** What this process runs: a coordinator answers ingest with 421. */
  readonly nodeRoles: readonly NodeRole[];
  /** The worker's ingest; without it (or without the worker role) ingest answers 421. */
  readonly ingest?: IngestSink;
  /**
   * What else must hold, beyond the service's own readiness, before this node is ready: null
   * when it holds, else the reason (a standalone node: its worker has joined).
   */
  readonly notReadyBecause?: () => string | null;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;
export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/** `ApiDeps` with every default filled in: what the plugins receive. */
export interface ResolvedDeps extends ApiDeps {
  readonly bodyLimit: number;
  readonly forward: Forwarder;
  readonly forwardTimeoutMs: number;
}

export interface PluginOptions {
  readonly deps: ResolvedDeps;
}

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
