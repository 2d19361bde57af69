/**
 * Where a JSON text stops being JSON. `JSON.parse` names the offset for some errors only, and a
 * client sending a 2 MB body needs a line and column. Called only after `JSON.parse` failed, so
 * it favours being obviously right over being fast; it is iterative so that deep nesting cannot
 * overflow the stack.
 */

export interface TextPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The offset of the first character that makes `text` invalid JSON, or null when it is valid. */
export function jsonErrorOffset(text: string): number | null {
  const stack: ('{' | '[')[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  /** Returns false at the offending character. */
  const scanString = (): boolean => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const next = text.charAt(i + 1);
        if (ESCAPES.has(next)) i += 2;
        else if (next === 'u' && HEX4.test(text.slice(i + 2, i + 6))) i += 6;
        else {
          i++;
          return false;
        }
      } else {
        i++;
      }
    }
    return false;
  };

  let expect: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    skipSpace();
    if (expect === 'key') {
      if (text.charAt(i) !== '"' || !scanString()) return i;
      skipSpace();
      if (text.charAt(i) !== ':') return i;
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'value') {
      const c = text.charAt(i);
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        skipSpace();
        if (text.charAt(i) === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          expect = 'after';
        } else {
          expect = c === '{' ? 'key' : 'value';
        }
        continue;
      }
      if (c === '"') {
        if (!scanString()) return i;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) return i;
        i = NUMBER.lastIndex;
      } else {
        const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
        if (literal === undefined) return i;
        i += literal.length;
      }
      expect = 'after';
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i === text.length ? null : i;
    const c = text.charAt(i);
    if (c === ',') {
      i++;
      expect = top === '{' ? 'key' : 'value';
    } else if (c === (top === '{' ? '}' : ']')) {
      stack.pop();
      i++;
    } else {
      return i;
    }
  }
}

export function positionOf(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/** "line 3, column 7: unexpected "x"" or "…: unexpected end of the text". */
export function describeJsonError(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === null) return 'not valid JSON';
  const { line, column } = positionOf(text, offset);
  const found =
    offset >= text.length
      ? 'unexpected end of the text'
      : `unexpected ${JSON.stringify(text.charAt(offset))}`;
  return `line ${line}, column ${column}: ${found}`;
}
