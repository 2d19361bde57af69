/**
 * Turns a submitted flow document (JSON, or YAML as `content-type: application/yaml`) into a
 * value for `validateFlowSpec`. Syntax errors say where they are, as line and column.
 */
import { parseDocument } from 'yaml';
import { FLOW_LIMITS } from './limits';
import type { FlowParse, FlowProblem } from './problems';
import { textPosition } from './text-position';

export type FlowDocumentFormat = 'json' | 'yaml';

/** Never throws: any text gives a value or problems (all at path "", the whole document). */
export function parseFlowDocument(text: string, format: FlowDocumentFormat): FlowParse<unknown> {
  if (typeof text !== 'string') return failure('the flow document must be text');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > FLOW_LIMITS.maxDocumentBytes) {
    return failure(
      `the flow document is ${bytes} bytes; at most ${FLOW_LIMITS.maxDocumentBytes} are allowed`,
    );
  }
  // Editors on Windows start files with a byte order mark; JSON.parse refuses it.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return format === 'yaml' ? parseYaml(body) : parseJson(body);
}

function parseJson(text: string): FlowParse<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(text, message);
    const { line, column } = textPosition(text, offset);
    const summary = jsonErrorSummary(message, text[offset]);
    return failure(`the flow is not valid JSON: ${summary} at line ${line}, column ${column}`);
  }
}

function parseYaml(text: string): FlowParse<unknown> {
  try {
    // Flow documents are YAML 1.2 (no `yes`/`no` booleans, no merge keys); a repeated key is an
    // error, as an unknown field is.
    const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    if (document.errors.length > 0) {
      const problems = document.errors
        .slice(0, FLOW_LIMITS.maxProblems)
        .map((error): FlowProblem => {
          const { line, column } = textPosition(text, error.pos[0]);
          const what =
            error.code === 'MULTIPLE_DOCS'
              ? 'a flow is one YAML document, this text has more than one'
              : error.message;
          return problem(`the flow is not valid YAML: ${what} at line ${line}, column ${column}`);
        });
      return { ok: false, problems };
    }
    // toJS refuses documents whose aliases would expand beyond reason ("billion laughs").
    return { ok: true, value: document.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (error) {
    // An alias to no anchor, too many aliases, or a nesting too deep for the parser.
    const message = error instanceof Error ? error.message : String(error);
    return failure(`the flow is not valid YAML: ${message}`);
  }
}

/**
 * Where JSON.parse stopped. V8 says "at position N" for most errors, but not for an unexpected
 * token ("Unexpected token '}', "{"a": }" is not valid JSON"); then the position is found by
 * asking JSON.parse itself for the longest prefix that could still start a valid document.
 */
function jsonErrorOffset(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at?.[1] !== undefined) return Number(at[1]);
  if (message.startsWith('Unexpected end of JSON input')) return text.length;
  let viable = 0;
  let broken = text.length;
  while (broken - viable > 1) {
    const middle = Math.floor((viable + broken) / 2);
    if (isViablePrefix(text.slice(0, middle))) viable = middle;
    else broken = middle;
  }
  return viable;
}

/** True if `prefix` is valid JSON or fails only for ending early. */
function isViablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (message.startsWith('Unexpected end of JSON input')) return true;
    const at = /at position (\d+)/.exec(message);
    return at?.[1] !== undefined && Number(at[1]) >= prefix.length;
  }
}

/** V8's message without the position (given as line and column) or an echo of the input. */
function jsonErrorSummary(message: string, found: string | undefined): string {
  const summary = message
    .replace(/ (?:in JSON )?at position \d+.*$/s, '')
    .replace(/,? (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/^(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
  if (summary !== '') return summary;
  return found === undefined ? 'Unexpected end of input' : `Unexpected ${JSON.stringify(found)}`;
}

function problem(message: string): FlowProblem {
  return { path: '', message };
}

function failure(message: string): FlowParse<never> {
  return { ok: false, problems: [problem(message)] };
}
