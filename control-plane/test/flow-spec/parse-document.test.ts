import { FLOW_LIMITS, parseFlowDocument, validateFlowSpec } from '../../src/flow-spec';
import { CONTRACT_EXAMPLE_YAML } from './fixtures';

function problemsOf(text: string, format: 'json' | 'yaml'): string[] {
  const result = parseFlowDocument(text, format);
  if (result.ok) throw new Error(`expected a syntax error, parsed ${JSON.stringify(result.value)}`);
  expect(result.problems.every((problem) => problem.path === '')).toBe(true);
  return result.problems.map((problem) => problem.message);
}

describe('JSON', () => {
  test('a valid document parses to its value', () => {
    expect(parseFlowDocument('{"id": "x", "n": [1, 2.5, null]}', 'json')).toEqual({
      ok: true,
      value: { id: 'x', n: [1, 2.5, null] },
    });
  });

  test.each([
    ['an unexpected token', '{"id": }', "Unexpected token '}' at line 1, column 8"],
    [
      'a trailing comma',
      '{\n  "id": "x",\n}',
      'Expected double-quoted property name at line 3, column 1',
    ],
    [
      'a missing comma',
      '{\n  "a": [1, 2\n    3]}',
      "Expected ',' or ']' after array element at line 3, column 5",
    ],
    ['an unterminated string', '{"id": "x', 'Unterminated string at line 1, column 10'],
    ['a truncated document', '{"id": [', 'Unexpected end of JSON input at line 1, column 9'],
    ['an empty body', '', 'Unexpected end of JSON input at line 1, column 1'],
    ['a bare word', 'undefined', 'Unexpected "u" at line 1, column 1'],
    [
      'text after the document',
      '{}\n{}',
      'Unexpected non-whitespace character after JSON at line 2, column 1',
    ],
    [
      'single quotes',
      "{'id': 1}",
      /^Unexpected token '''|^Expected property name or '}'|at line 1, column 2$/,
    ],
  ])('%s is located', (_name, text, expected) => {
    const [message, ...rest] = problemsOf(text, 'json');
    expect(rest).toEqual([]);
    expect(message?.startsWith('the flow is not valid JSON: ')).toBe(true);
    if (typeof expected === 'string')
      expect(message).toBe(`the flow is not valid JSON: ${expected}`);
    else expect(message).toMatch(expected);
  });

  test('an unexpected token deep in a long document is located without echoing the document', () => {
    const filler = `"${'x'.repeat(1000)}"`;
    const text = `{\n"a": ${filler},\n"b": ${filler},\n"c": tru }`;
    const [message] = problemsOf(text, 'json');
    expect(message).toBe("the flow is not valid JSON: Unexpected token ' ' at line 4, column 9");
  });

  test('a byte order mark is ignored', () => {
    expect(parseFlowDocument('\uFEFF{"id": "x"}', 'json')).toEqual({
      ok: true,
      value: { id: 'x' },
    });
  });
});

describe('YAML', () => {
  test('the contract example parses', () => {
    const parsed = parseFlowDocument(CONTRACT_EXAMPLE_YAML, 'yaml');
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && validateFlowSpec(parsed.value).ok).toBe(true);
  });

  test('JSON is YAML too', () => {
    expect(parseFlowDocument('{"id": "x", "n": [1]}', 'yaml')).toEqual({
      ok: true,
      value: { id: 'x', n: [1] },
    });
  });

  test.each([
    ['an unclosed flow sequence', 'id: x\nsources: [a, b\n', /at line 3, column 1$/],
    ['a bad indentation', 'id: x\nsources:\n  - id: a\n   kind: http\n', /at line 4, column \d+$/],
    [
      'an unclosed quote',
      'id: "x\n',
      /^the flow is not valid YAML: Missing closing "quote at line 2, column 1$/,
    ],
    [
      'a repeated key',
      'id: x\nsources: []\nid: y\n',
      /^the flow is not valid YAML: Map keys must be unique at line 3, column 1$/,
    ],
    [
      'two documents',
      'id: x\n---\nid: y\n',
      /one YAML document, this text has more than one at line 2, column 1$/,
    ],
  ])('%s is located', (_name, text, expected) => {
    const messages = problemsOf(text, 'yaml');
    expect(messages[0]?.startsWith('the flow is not valid YAML: ')).toBe(true);
    expect(messages[0]).toMatch(expected);
  });

  test('an alias to no anchor is an error', () => {
    expect(problemsOf('id: *nowhere\n', 'yaml')[0]).toMatch(
      /^the flow is not valid YAML: .*alias/i,
    );
  });

  test('an alias bomb is refused', () => {
    const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    expect(problemsOf(lines.join('\n'), 'yaml')[0]).toMatch(/^the flow is not valid YAML: /);
  });

  test('YAML 1.2: yes and no are strings, not booleans', () => {
    expect(parseFlowDocument('a: yes\nb: no\nc: true\n', 'yaml')).toEqual({
      ok: true,
      value: { a: 'yes', b: 'no', c: true },
    });
  });

  test('an empty document is null, which the validator refuses', () => {
    const parsed = parseFlowDocument('', 'yaml');
    expect(parsed).toEqual({ ok: true, value: null });
    expect(validateFlowSpec(null)).toEqual({
      ok: false,
      problems: [{ path: '', message: 'the flow must be an object' }],
    });
  });
});

describe('size limit', () => {
  test.each(['json', 'yaml'] as const)(
    'a %s document over the limit is refused unread',
    (format) => {
      const text = `{"id": "${'x'.repeat(FLOW_LIMITS.maxDocumentBytes)}"}`;
      const result = parseFlowDocument(text, format);
      expect(result).toEqual({
        ok: false,
        problems: [
          {
            path: '',
            message: `the flow document is ${text.length} bytes; at most ${FLOW_LIMITS.maxDocumentBytes} are allowed`,
          },
        ],
      });
    },
  );

  test('the limit counts bytes, not characters', () => {
    const text = `"${'é'.repeat(FLOW_LIMITS.maxDocumentBytes / 2)}"`;
    expect(text.length).toBeLessThan(FLOW_LIMITS.maxDocumentBytes);
    expect(parseFlowDocument(text, 'json').ok).toBe(false);
  });
});
