/** Building the app around a FakeCoordinator, and checks shared by the API tests. */
import type { LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api';
import type { ApiDeps, ApiInstance } from '../../src/api';
import { ERROR_REGISTRY, type ErrorCode } from '../../src/errors';
import { FakeCoordinator, type FakeOptions } from './fake-coordinator';

export interface TestApp {
  readonly app: ApiInstance;
  readonly service: FakeCoordinator;
  readonly metrics: Registry;
}

export function makeApp(
  overrides: Partial<ApiDeps> = {},
  fake: FakeCoordinator | FakeOptions = {},
): TestApp {
  const service = fake instanceof FakeCoordinator ? fake : new FakeCoordinator(fake);
  const metrics = overrides.metrics ?? new Registry();
  const app = buildApp({
    service,
    version: '1.2.3',
    apiToken: null,
    metrics,
    logger: false,
    nodeRoles: ['coordinator'],
    ...overrides,
  });
  return { app, service, metrics };
}

/** `expect.any(...)` typed `unknown` rather than `any`, for use inside expected values. */
export const anyString: unknown = expect.any(String);
export const anyNumber: unknown = expect.any(Number);
export const anyArray: unknown = expect.any(Array);

export interface ErrorShape {
  readonly error: { readonly code: string; readonly message: string; readonly details: unknown[] };
}

/**
 * Asserts the contract's error shape, the code, and that the status is the registry's. Returns
 * the parsed body for further checks.
 */
export function expectError(res: LightMyRequestResponse, code: ErrorCode): ErrorShape {
  const body = res.json<ErrorShape>();
  expect(body).toEqual({
    error: { code, message: anyString, details: anyArray },
  });
  expect(res.statusCode).toBe(ERROR_REGISTRY[code].status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(body.error.message.length).toBeGreaterThan(0);
  if (res.statusCode === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/);
  return body;
}

/** A valid flow per CONTRACT §4 (the example there, trimmed). */
export function sampleFlow(id = 'app-logs'): Record<string, unknown> {
  return {
    id,
    sources: [{ id: 'in', kind: 'http' }],
    distribution: { strategy: 'hash', key: 'event.application' },
    pipeline: [
      { where: 'event.level != "debug"' },
      { throttle: { key: 'event.application', rate: 100, interval_ms: 1000 } },
    ],
    sinks: [{ id: 'out', kind: 'stdout' }],
  };
}

export const SAMPLE_FLOW_YAML = `id: app-logs
sources:
  - id: in
    kind: http
distribution:
  strategy: hash
  key: event.application
pipeline:
  - where: 'event.level != "debug"'
  - throttle: { key: event.application, rate: 100, interval_ms: 1000 }
sinks:
  - id: out
    kind: stdout
`;
