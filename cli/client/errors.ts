/**
 * What can go wrong in a client command, one class per way it is reported (report.ts): the exit
 * status follows from the class, never from a message (CONTRACT §2: 1 at run time, 2 for usage
 * and configuration).
 */

/** The API answered with an error (`{ "error": { code, message, details } }`, or something else). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly unknown[] = [],
  ) {
    super(message);
  }
}

/** No answer at all: refused, no such host, reset, or nothing within the request timeout. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';

  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(
      `cannot reach the API at ${url} (${reason}): is a tremor server running there? ` +
        'Name the API of a node with --api URL (or TREMOR_API).',
    );
  }
}

/** A flag, variable or file given to the command is wrong; the message names which. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The API refused the flow of a file as invalid: the file is what is wrong, so it is a usage
 * error, reported with the file's name and every problem the API listed.
 */
export class FlowFileRejectedError extends Error {
  override readonly name = 'FlowFileRejectedError';

  constructor(
    readonly file: string,
    readonly rejection: ApiError,
  ) {
    super(`${file}: ${rejection.code}: ${rejection.message}`);
  }
}

/** `flow apply --wait` gave up before every live worker ran the flow. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}
