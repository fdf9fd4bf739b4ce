import { readFileSync } from 'node:fs';
import { DocumentError, parseDocumentText, validateDocument } from '@hubemu/hub-emulator';
import { getOwn } from '@hubemu/shared';
import { UsageError } from '../commands/service-command.js';
import { BUILT_IN_NAMES, BUILT_IN_SCENARIOS } from './built-in-scenarios.js';
import { ScenarioSchema, type Scenario } from './scenario.js';

/** A scenario and where it came from (`built-in` or the file's path). */
export interface LoadedScenario {
  scenario: Scenario;
  source: string;
}

/** A DocumentError is the user's input: a usage error (exit code 1) with the same text. */
function asUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof DocumentError ? new UsageError(error.message) : error;
  }
}

/** Validates a scenario given as data (a built-in one, or a file already parsed). */
export function validateScenario(value: unknown, source: string): Scenario {
  return asUsageError(() => validateDocument(value, source, ScenarioSchema, 'scenario'));
}

/** Parses scenario text (YAML, or JSON, which is YAML too, so both get line numbers) and validates it. */
export function parseScenarioText(text: string, file: string): Scenario {
  return asUsageError(() => parseDocumentText(text, file, ScenarioSchema, 'scenario'));
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
