import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** A document file (seed, scenario) that is not valid: one `file:line: path: message` line per problem in `message`. */
export class DocumentError extends Error {
  override readonly name = 'DocumentError';
  constructor(
    what: string,
    readonly problems: readonly string[],
  ) {
    super(`The ${what} is not valid:\n${problems.join('\n')}`);
  }
}

/** Where a value was found: the 1-based line of the node at `path` (or of its closest parent that exists). */
export type LineOf = (path: readonly PropertyKey[]) => number | undefined;

function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/** Validates data with `schema`, or throws a DocumentError with one line per problem (`file[:line]: path: message`). */
export function validateDocument<S extends z.ZodType>(value: unknown, file: string, schema: S, what: string, where: LineOf = () => undefined): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new DocumentError(
    what,
    parsed.error.issues.map((issue) => {
      const line = where(issue.path);
      return `${file}${line === undefined ? '' : `:${line}`}: ${pathText(issue.path)}: ${issue.message}`;
    }),
  );
}

/** Parses YAML or JSON text (JSON is YAML, so both get line numbers) and validates it with `schema`. */
export function parseDocumentText<S extends z.ZodType>(text: string, file: string, schema: S, what: string): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const [syntax] = doc.errors;
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new DocumentError(what, [`${file}${line === undefined ? '' : `:${line}`}: ${syntax.message.split('\n')[0] ?? syntax.code}`]);
  }
  return validateDocument(doc.toJS({ maxAliasCount: 100 }), file, schema, what, (path) => lineOf(doc, lines, path));
}
