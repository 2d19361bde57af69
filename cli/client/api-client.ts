/**
 * The HTTP API of a running cluster (CONTRACT §3) over an injected `fetch`. Every call either
 * returns the answer's body or throws an ApiError (the API said no) or an ApiUnreachableError (no
 * answer): callers never look at HTTP statuses except where the contract gives them a meaning
 * (201 against 200 for `PUT /v1/flows/:id`).
 */
import type { ClusterView, FlowStatus, FlowSummary, FlowView, VnodeView } from './api-types';
import { ApiError, ApiUnreachableError } from './errors';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface ApiClientOptions {
  /** `http(s)://host:port`, maybe with a path prefix (a reverse proxy); no trailing slash. */
  readonly baseUrl: string;
  readonly token: string | null;
  readonly fetch: typeof fetch;
  readonly timeoutMs?: number;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

export class ApiClient {
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async cluster(): Promise<ClusterView> {
    return (await this.call('GET', '/v1/cluster')).body as ClusterView;
  }

  async vnodes(): Promise<VnodeView[]> {
    return (await this.call('GET', '/v1/cluster/vnodes')).body as VnodeView[];
  }

  async flows(): Promise<FlowSummary[]> {
    return (await this.call('GET', '/v1/flows')).body as FlowSummary[];
  }

  async flow(id: string): Promise<FlowView> {
    return (await this.call('GET', flowPath(id))).body as FlowView;
  }

  /** Creates or replaces the flow; `created` tells which (201 against 200). */
  async putFlow(id: string, spec: unknown): Promise<{ created: boolean; flow: FlowView }> {
    const answer = await this.call('PUT', flowPath(id), spec);
    return { created: answer.status === 201, flow: answer.body as FlowView };
  }

  async setFlowStatus(id: string, status: FlowStatus): Promise<FlowView> {
    return (await this.call('PATCH', flowPath(id), { status })).body as FlowView;
  }

  async deleteFlow(id: string): Promise<void> {
    await this.call('DELETE', flowPath(id));
  }

  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const url = `${this.options.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token !== null) headers.authorization = `Bearer ${this.options.token}`;
    let status: number;
    let text: string;
    try {
      const res = await this.options.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // One bound for the whole exchange, body included: a node that accepts the connection
        // and then hangs (stopped, partitioned) must not hang the command.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new ApiUnreachableError(this.options.baseUrl, unreachableReason(err, this.timeoutMs));
    }
    const parsed = parseJson(text);
    if (status >= 200 && status < 300) {
      if (text === '') return { status, body: null };
      if (parsed.ok) return { status, body: parsed.value };
      throw new ApiError(status, `HTTP ${status}`, `${method} ${path}: the answer is not JSON`);
    }
    throw errorOf(status, parsed.ok ? parsed.value : undefined, text);
  }
}

function flowPath(id: string): string {
  return `/v1/flows/${encodeURIComponent(id)}`;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The contract's error shape when the answer has it; otherwise (a proxy's HTML page, a server of
 * another kind on that port) the status and the start of the text, so the user sees who answered.
 */
function errorOf(status: number, body: unknown, text: string): ApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (error !== null && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = Array.isArray(error.details) ? (error.details as unknown[]) : [];
    return new ApiError(status, error.code, error.message, details);
  }
  const excerpt = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return new ApiError(
    status,
    `HTTP ${status}`,
    excerpt === '' ? 'the answer has no body' : `the answer is not a tremor error: ${excerpt}`,
  );
}

/**
 * Why there was no answer. Node's fetch hides the socket error under `cause` (an AggregateError
 * when it tried several addresses). Errors are told apart by their fields, not `instanceof`: they
 * may come from another realm than this module's `Error` (undici's, under a test runner).
 */
function unreachableReason(err: unknown, timeoutMs: number): string {
  const failure = isRecord(err) ? err : {};
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = isRecord(failure.cause) ? failure.cause : {};
  const first = Array.isArray(cause.errors) && isRecord(cause.errors[0]) ? cause.errors[0] : cause;
  switch (stringField(cause, 'code') ?? stringField(first, 'code')) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
  }
  return stringField(first, 'message') ?? stringField(failure, 'message') ?? String(err);
}

function stringField(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
