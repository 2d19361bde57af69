/**
 * The one error type the HTTP API answers with. It carries a registered code; the status comes
 * from the registry, so a code cannot be answered with two different statuses.
 *
 * Wire shape (CONTRACT §3): `{ "error": { "code", "message", "details": [] } }`. `details` is
 * always an array: one `{ path, message }` per problem for validation errors, or one object with
 * the facts of the refusal (e.g. `{ key, current }` for a failed compare-and-set).
 */
import { ERROR_REGISTRY, type ErrorCode } from './registry';

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details: readonly unknown[];
  };
}

/** One problem of a request or a document: where it is and what is wrong there. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

export class TremorError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: readonly unknown[] = [],
    /** Seconds for a `Retry-After` header; 503 answers get 1 when not given. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'TremorError';
    this.status = ERROR_REGISTRY[code].status;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function httpError(
  code: ErrorCode,
  message: string,
  details?: readonly unknown[],
): TremorError {
  return new TremorError(code, message, details);
}
