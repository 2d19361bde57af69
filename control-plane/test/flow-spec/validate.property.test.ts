import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { stringify as toYaml } from 'yaml';
import {
  FlowSpecSchema,
  parseFlowDocument,
  validateFlowSpec,
  type FlowParse,
  type FlowSpec,
} from '../../src/flow-spec';
import { mutatedFlow, mutatedJsonFlow, validFlow } from './arbitraries';

// Thousands of generated flows per property: well within a minute, but over jest's 5 s on a busy machine.
jest.setTimeout(60_000);

/** What every answer must look like, whatever the input. */
function expectWellFormed(result: FlowParse<unknown>): void {
  if (result.ok) return;
  expect(result.problems.length).toBeGreaterThan(0);
  for (const { path, message } of result.problems) {
    expect(typeof path).toBe('string');
    // Every message names its path first (the whole document is "the flow").
    expect(message.startsWith(path === '' ? 'the flow' : path) || path === '').toBe(true);
    expect(message.length).toBeGreaterThan(path.length);
  }
}

describe('validateFlowSpec never throws', () => {
  test('on any value', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withNullPrototype: true, withSparseArray: true }),
        (input) => {
          expectWellFormed(validateFlowSpec(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('on valid flows with one part broken; whatever it accepts has the declared shape', () => {
    fc.assert(
      fc.property(mutatedFlow, (input) => {
        const result = validateFlowSpec(input);
        expectWellFormed(result);
        if (result.ok) expect(Value.Check(FlowSpecSchema, result.value)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('JSON flows with one part broken: refused by the validator if the schema refuses them', () => {
    fc.assert(
      fc.property(mutatedJsonFlow, (input) => {
        const result = validateFlowSpec(input);
        expectWellFormed(result);
        if (!Value.Check(FlowSpecSchema, input)) expect(result.ok).toBe(false);
        // And the same answer every time.
        expect(validateFlowSpec(input)).toEqual(result);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseFlowDocument never throws', () => {
  test.each(['json', 'yaml'] as const)('on any %s text', (format) => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expectWellFormed(parseFlowDocument(text, format));
      }),
      { numRuns: 1000 },
    );
  });

  test.each(['json', 'yaml'] as const)('on %s texts made of its own punctuation', (format) => {
    const unit = fc.constantFrom(...'{}[]:,"\'-&*!|>#\n \\tx1'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (text) => {
        expectWellFormed(parseFlowDocument(text, format));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('valid flows always validate', () => {
  test('as values, in agreement with the schema', () => {
    fc.assert(
      fc.property(validFlow, (spec) => {
        expect(Value.Check(FlowSpecSchema, spec)).toBe(true);
        const result = validateFlowSpec(spec);
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        expect(Value.Check(FlowSpecSchema, result.value)).toBe(true);
        // The defaults filled in are the schema's own.
        expect(result.value).toEqual(Value.Default(FlowSpecSchema, structuredClone(spec)));
      }),
      { numRuns: 300 },
    );
  });

  test('through JSON and YAML text', () => {
    fc.assert(
      fc.property(validFlow, (spec: FlowSpec) => {
        const expected = validateFlowSpec(spec);
        for (const [text, format] of [
          [JSON.stringify(spec), 'json'],
          [toYaml(spec), 'yaml'],
        ] as const) {
          const parsed = parseFlowDocument(text, format);
          if (!parsed.ok) throw new Error(`${format}: ${JSON.stringify(parsed.problems)}\n${text}`);
          expect(validateFlowSpec(parsed.value)).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});
