/**
 * How a client command's failure reaches the user: the text for stderr and the exit status
 * (CONTRACT §2: 2 when what the user gave is wrong, 1 for everything that went wrong at run time).
 * API errors keep their stable code in front (`tremor: CODE: message`), so scripts can match it,
 * and list every detail, so an invalid flow shows all its problems at once.
 */
import {
  ApiError,
  ApiUnreachableError,
  FlowFileRejectedError,
  UsageError,
  WaitTimeoutError,
} from './errors';

const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

export interface Report {
  readonly text: string;
  readonly exitCode: number;
}

export function reportOf(err: unknown): Report {
  if (err instanceof UsageError) {
    return { text: `tremor: error: ${err.message}\n`, exitCode: EXIT_USAGE };
  }
  if (err instanceof FlowFileRejectedError) {
    return { text: `tremor: ${err.message}\n${detailLines(err.rejection)}`, exitCode: EXIT_USAGE };
  }
  if (err instanceof ApiError) {
    return {
      text: `tremor: ${err.code}: ${err.message}\n${detailLines(err)}${hintFor(err)}`,
      exitCode: EXIT_RUNTIME,
    };
  }
  if (err instanceof ApiUnreachableError || err instanceof WaitTimeoutError) {
    return { text: `tremor: ${err.message}\n`, exitCode: EXIT_RUNTIME };
  }
  // Not an expected failure: say what it is rather than hide it behind a friendly line.
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { text: `tremor: ${text}\n`, exitCode: EXIT_RUNTIME };
}

/** One line a detail: `{ path, message }` problems as their message, anything else as JSON. */
function detailLines(err: ApiError): string {
  return err.details.map((d) => `  - ${detailText(d)}\n`).join('');
}

function detailText(detail: unknown): string {
  if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) {
    const { path, message } = detail as { path?: unknown; message?: unknown };
    if (typeof message === 'string') {
      // Flow problems name their path in the message already (flow-spec/problems.ts).
      const named = typeof path !== 'string' || path === '' || message.includes(path);
      return named ? message : `${path}: ${message}`;
    }
  }
  return JSON.stringify(detail);
}

function hintFor(err: ApiError): string {
  if (err.status === 401) {
    return '(give the API token with --api-token or TREMOR_API_TOKEN)\n';
  }
  return '';
}
