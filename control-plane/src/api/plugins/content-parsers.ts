/**
 * Request body parsers. The app accepts JSON everywhere (a parser that says where a bad body
 * breaks); YAML only where flows are submitted and NDJSON only at ingest, each registered inside
 * the plugin of those routes so every other route answers such a body with 415.
 */
import type { FastifyRequest } from 'fastify';
import { parseFlowDocument, type FlowDocumentFormat } from '../../flow-spec';
import { TremorError } from '../../errors';
import type { ApiInstance } from '../deps';
import { globalPlugin } from '../global-plugin';
import { describeJsonError } from '../json-error-position';

export const YAML_TYPES = ['application/yaml', 'text/yaml'] as const;
export const NDJSON_TYPE = 'application/x-ndjson';

/** Replaces fastify's parsers (JSON and text/plain) with the app's JSON parser. */
export const jsonParserPlugin = globalPlugin(
  (app: ApiInstance, _opts: unknown, done: (err?: Error) => void) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, parsing(parseJsonBody));
    done();
  },
);

/** An empty body is no body: the route's schema decides whether it needs one. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TremorError(
      'TREMOR_BODY_INVALID',
      `the body is not valid JSON: ${describeJsonError(text)}`,
    );
  }
}

/**
 * For the flows plugin: JSON and YAML through the flow document parser, so both formats answer
 * syntax errors alike (line and column, every problem in `details`) and the flow's own size
 * bound applies.
 */
export function addFlowDocumentParsers(app: ApiInstance): void {
  app.removeContentTypeParser('application/json');
  const flowDocument = (format: FlowDocumentFormat) => (text: string) => {
    const parsed = parseFlowDocument(text, format);
    if (parsed.ok) return parsed.value;
    const first = parsed.problems[0];
    throw new TremorError(
      'TREMOR_BODY_INVALID',
      first?.message ?? `the body is not valid ${format === 'json' ? 'JSON' : 'YAML'}`,
      parsed.problems,
    );
  };
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    parsing(flowDocument('json')),
  );
  app.addContentTypeParser([...YAML_TYPES], { parseAs: 'string' }, parsing(flowDocument('yaml')));
}

/** For the ingest plugin: one JSON value per line; blank lines are skipped. */
export function addNdjsonParser(app: ApiInstance): void {
  app.addContentTypeParser(NDJSON_TYPE, { parseAs: 'string' }, parsing(parseNdjson));
}

export function parseNdjson(text: string): unknown[] {
  const values: unknown[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    try {
      values.push(JSON.parse(line) as unknown);
    } catch {
      const where = describeJsonError(line).replace(/^line 1, /, '');
      throw new TremorError(
        'TREMOR_BODY_INVALID',
        `line ${index + 1} of the NDJSON body is not valid JSON: ${where}`,
      );
    }
  });
  return values;
}

type BodyParser = (
  request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
) => void;

/** A fastify body parser from a function of the body's text that throws a TremorError. */
function parsing(parse: (text: string) => unknown): BodyParser {
  return (_request, body, done) => {
    let value: unknown;
    try {
      value = parse(typeof body === 'string' ? body : body.toString('utf8'));
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, value);
  };
}
