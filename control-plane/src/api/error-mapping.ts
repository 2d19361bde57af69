/**
 * Turns whatever a route, a hook or fastify itself threw into a registered TremorError, so that
 * every error answer has the contract's shape and a stable code.
 */
import type { FastifyError, FastifyRequest } from 'fastify';
import { NoLeaderError, NotLeaderError, ProposalTimeoutError } from '../coordinator/service';
import { isErrorCode, TremorError, type Problem } from '../errors';

interface ValidationIssue {
  readonly instancePath?: string;
  readonly message?: string;
}

/** fastify's own content-type parser failures, by their FST_ERR codes. */
const FASTIFY_CODES: Readonly<
  Record<string, (request: FastifyRequest | undefined) => TremorError>
> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (request) =>
    new TremorError(
      'TREMOR_PAYLOAD_TOO_LARGE',
      `the request body is larger than the ${request?.routeOptions.bodyLimit ?? 'configured'} bytes this route accepts`,
    ),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new TremorError(
      'TREMOR_UNSUPPORTED_MEDIA_TYPE',
      'this route does not accept that content type',
    ),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new TremorError('TREMOR_BAD_REQUEST', 'the body length does not match its Content-Length'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new TremorError('TREMOR_BODY_INVALID', 'the body is empty but its content type is JSON'),
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new TremorError('TREMOR_BODY_INVALID', 'the body is not valid JSON'),
};

export function toTremorError(err: unknown, request?: FastifyRequest): TremorError {
  if (err instanceof TremorError) return err;
  if (err instanceof NoLeaderError) {
    return new TremorError('TREMOR_NO_LEADER', err.message, [], err.retryAfterSeconds);
  }
  if (err instanceof NotLeaderError) {
    // Reached only when the request is not forwarded (see plugins/errors.ts).
    return new TremorError(
      'TREMOR_NO_LEADER',
      err.leader.api === null
        ? `the leader ${err.leader.id} is not reachable through the API yet; retry shortly`
        : `the leader moved on while this request was forwarded (to ${err.leader.id}); retry shortly`,
      [{ leader: err.leader.id }],
    );
  }
  if (err instanceof ProposalTimeoutError) {
    return new TremorError('TREMOR_PROPOSAL_TIMEOUT', err.message, [{ timeoutMs: err.timeoutMs }]);
  }
  if (!(err instanceof Error)) {
    return new TremorError('TREMOR_INTERNAL', 'internal error; see the log of this node');
  }
  const fastifyError = err as FastifyError;
  const validation = fastifyError.validation as readonly ValidationIssue[] | undefined;
  if (Array.isArray(validation)) {
    const where = fastifyError.validationContext ?? 'request';
    const problems: Problem[] = validation.map((issue: ValidationIssue) => ({
      path: `${where}${issue.instancePath ?? ''}`,
      message: issue.message ?? 'is invalid',
    }));
    const first = problems[0];
    return new TremorError(
      'TREMOR_BAD_REQUEST',
      first === undefined ? `the ${where} is invalid` : `${first.path}: ${first.message}`,
      problems,
    );
  }
  const code = (err as { code?: unknown }).code;
  const fromFastify = typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
  if (fromFastify !== undefined) return fromFastify(request);
  // Typed errors of other layers (membership, transport, snapshots) carry registered codes.
  if (isErrorCode(code)) return new TremorError(code, err.message);
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new TremorError('TREMOR_BAD_REQUEST', err.message);
  }
  return new TremorError('TREMOR_INTERNAL', 'internal error; see the log of this node');
}
