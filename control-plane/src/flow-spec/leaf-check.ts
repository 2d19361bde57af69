/**
 * Checks one value against its schema with TypeBox and says what is wrong in the contract's words
 * ("must be > 0") rather than TypeBox's ("Expected integer to be greater than 0"). Only the first
 * error counts: a 70-character id that also has a bad character is one problem, not two.
 */
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { PATTERN_MEANINGS } from './schema';

/** What is wrong with `value`, as a predicate ("must not be empty"), or undefined if nothing. */
export function leafProblem(schema: TSchema, value: unknown): string | undefined {
  const error = Value.Errors(schema, value).First();
  return error === undefined ? undefined : predicate(error);
}

function predicate(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Number:
      return 'must be a number';
    case ValueErrorType.Integer:
      return 'must be an integer';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.Array:
      return 'must be an array';
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema['const'])}`;
    case ValueErrorType.Union:
      return unionPredicate(schema);
    case ValueErrorType.StringMinLength:
      return schema['minLength'] === 1
        ? 'must not be empty'
        : `must be at least ${String(schema['minLength'])} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema['maxLength'])} characters`;
    case ValueErrorType.StringPattern: {
      const pattern = String(schema['pattern']);
      return `must be ${PATTERN_MEANINGS.get(pattern) ?? `a string matching ${pattern}`}`;
    }
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be > ${String(schema['exclusiveMinimum'])}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be >= ${String(schema['minimum'])}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be <= ${String(schema['maximum'])}`;
    case ValueErrorType.ObjectMinProperties:
      return schema['minProperties'] === 1
        ? 'must not be empty'
        : `must have at least ${String(schema['minProperties'])} entries`;
    case ValueErrorType.ObjectMaxProperties:
      return `must have at most ${String(schema['maxProperties'])} entries`;
    case ValueErrorType.ArrayMinItems:
      return schema['minItems'] === 1
        ? 'must not be empty'
        : `must have at least ${String(schema['minItems'])} items`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${String(schema['maxItems'])} items`;
    default:
      // Kinds of constraint the flow schemas do not use; TypeBox's wording is the best we have.
      return `is invalid: ${error.message}`;
  }
}

/** A union of literals reads as a list of choices; any other union as TypeBox says it. */
function unionPredicate(schema: Record<string, unknown>): string {
  const variants = Array.isArray(schema['anyOf']) ? (schema['anyOf'] as unknown[]) : [];
  const choices = variants.map((variant) =>
    typeof variant === 'object' && variant !== null ? (variant as { const?: unknown }).const : {},
  );
  if (choices.length > 0 && choices.every((choice) => typeof choice === 'string')) {
    return `must be one of ${choices.join(', ')}`;
  }
  return 'does not match any of the allowed shapes';
}
