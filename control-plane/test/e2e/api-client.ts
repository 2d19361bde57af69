/**
 * A small HTTP client for the end-to-end tests: JSON in and out, the status and headers kept,
 * never throwing on a non-2xx answer (tests assert on codes).
 */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<ApiAnswer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (e.g. /metrics): keep the text.
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Like `call`, but a refused connection or a timeout is an answer with status 0. */
export async function tryCall(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 3000,
): Promise<ApiAnswer> {
  try {
    return await call(base, method, path, body, timeoutMs);
  } catch (err) {
    return { status: 0, headers: new Headers(), body: String(err) };
  }
}

export interface NodeStatus {
  readonly nodeId: string;
  readonly leader: string | null;
  readonly term: number;
  readonly appliedRevision: number;
  readonly ready: boolean;
}

export async function statusOf(base: string): Promise<NodeStatus | null> {
  const a = await tryCall(base, 'GET', '/v1/status', undefined, 1000);
  return a.status === 200 ? (a.body as NodeStatus) : null;
}

export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
