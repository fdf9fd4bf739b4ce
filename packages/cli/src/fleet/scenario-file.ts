import { readFileSync } from 'node:fs';
import { getOwn } from '@hubemu/shared';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../commands/service-command.js';
import { BUILT_IN_NAMES, BUILT_IN_SCENARIOS } from './built-in-scenarios.js';
import { ScenarioSchema, type Scenario } from './scenario.js';

/** A scenario and where it came from (`built-in` or the file's path). */
export interface LoadedScenario {
  scenario: Scenario;
  source: string;
}

/** The line of the node at `path` (or of its closest parent that exists), 1-based. */
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

/** One line per problem: `file:line: path: message`. */
function describeIssues(file: string, issues: readonly z.core.$ZodIssue[], where: (path: readonly PropertyKey[]) => number | undefined): string {
  return issues
    .map((issue) => {
      const line = where(issue.path);
      return `${file}${line === undefined ? '' : `:${line}`}: ${pathText(issue.path)}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates a scenario given as data (a built-in one, or a file already parsed). */
export function validateScenario(value: unknown, source: string, where: (path: readonly PropertyKey[]) => number | undefined = () => undefined): Scenario {
  const parsed = ScenarioSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`The scenario is not valid:\n${describeIssues(source, parsed.error.issues, where)}`);
  return parsed.data;
}

/** Parses scenario text (YAML, or JSON, which is YAML too, so both get line numbers) and validates it. */
export function parseScenarioText(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const [syntax] = doc.errors;
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new UsageError(`The scenario is not valid:\n${file}${line === undefined ? '' : `:${line}`}: ${syntax.message.split('\n')[0] ?? syntax.code}`);
  }
  return validateScenario(doc.toJS({ maxAliasCount: 100 }), file, (path) => lineOf(doc, lines, path));
}

/** `--scenario NAME|FILE`: a built-in scenario by name, else a YAML or JSON file. */
export function loadScenario(nameOrFile: string): LoadedScenario {
  const builtIn = getOwn(BUILT_IN_SCENARIOS, nameOrFile);
  if (builtIn) return { scenario: validateScenario(builtIn, `built-in scenario ${nameOrFile}`), source: 'built-in' };
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch {
    throw new UsageError(`--scenario: '${nameOrFile}' is neither a built-in scenario (${BUILT_IN_NAMES.join(', ')}) nor a readable file.`);
  }
  return { scenario: parseScenarioText(text, nameOrFile), source: nameOrFile };
}
