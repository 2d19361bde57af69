/**
 * Problems found in a submitted flow: where (a path in the contract's dotted form, such as
 * `pipeline[1].throttle.rate`, or "" for the whole document) and what, as a sentence that names
 * the path itself, so a message read on its own still says where.
 */
import { FLOW_LIMITS } from './limits';

export interface FlowProblem {
  readonly path: string;
  readonly message: string;
}

export type FlowParse<T> = { ok: true; value: T } | { ok: false; problems: FlowProblem[] };

/** A location in the document: object keys and array indexes, outermost first. */
export type FlowPath = readonly (string | number)[];

/** Keys longer than this are shortened in paths: a path is for reading, not for echoing input. */
const MAX_KEY_IN_PATH = 64;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(path: FlowPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
      continue;
    }
    const key =
      segment.length > MAX_KEY_IN_PATH ? `${segment.slice(0, MAX_KEY_IN_PATH)}…` : segment;
    if (PLAIN_KEY.test(segment)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}

/** How a message names a path: the path itself, or "the flow" for the whole document. */
export function describePath(path: FlowPath): string {
  return path.length === 0 ? 'the flow' : formatPath(path);
}

/**
 * Collects problems in the order they are found. The validator walks the document in its own key
 * order, so that order is the order of appearance in the document, and the same input always
 * lists the same problems in the same order.
 */
export class ProblemList {
  private readonly problems: FlowProblem[] = [];

  /** Adds "<path> <predicate>", e.g. `pipeline[1].throttle.rate` + `must be > 0`. */
  add(path: FlowPath, predicate: string): void {
    this.problems.push({ path: formatPath(path), message: `${describePath(path)} ${predicate}` });
  }

  get size(): number {
    return this.problems.length;
  }

  /**
   * The problems, at most `FLOW_LIMITS.maxProblems` of them: a document with a million unknown
   * fields gets a readable answer, not a million-line one.
   */
  list(): FlowProblem[] {
    const max = FLOW_LIMITS.maxProblems;
    if (this.problems.length <= max) return [...this.problems];
    const shown = this.problems.slice(0, max - 1);
    const rest = this.problems.length - shown.length;
    return [...shown, { path: '', message: `${rest} more problems are not listed` }];
  }
}
