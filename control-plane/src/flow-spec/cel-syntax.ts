/**
 * Syntax check of the flow's CEL expressions. Only syntax: expressions run against events whose
 * shape nobody declares, so types can only be known when an event arrives (and an expression
 * that fails on an event sends that event to port `err`).
 */
import { CEL } from './cel-environment';
import { textPosition } from './text-position';

/**
 * The syntax error in `expression`, as the library describes it, followed by where it is
 * (`Unexpected token: EOF at column 11`); undefined when the expression parses. `within` is the
 * text the expression was cut from and `offset` where it starts there, so that the position is
 * the one the user sees (in `sum(EXPR)`, the position inside the whole aggregate).
 */
export function celSyntaxError(
  expression: string,
  within: string = expression,
  offset = 0,
): string | undefined {
  try {
    CEL.parse(expression);
    return undefined;
  } catch (error) {
    if (!(error instanceof Error)) return String(error);
    const details = error as Error & { summary?: unknown; range?: { start?: unknown } };
    // ParseError.message carries an excerpt of the expression with a caret under the error; the
    // summary is its first line. A problem gives the position in words instead of the excerpt.
    const summary =
      typeof details.summary === 'string' ? details.summary : (error.message.split('\n')[0] ?? '');
    const start = details.range?.start;
    if (typeof start !== 'number') return summary;
    const { line, column } = textPosition(within, offset + start);
    return within.includes('\n')
      ? `${summary} at line ${line}, column ${column}`
      : `${summary} at column ${column}`;
  }
}
