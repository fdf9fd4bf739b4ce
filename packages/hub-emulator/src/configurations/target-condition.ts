import { HubError } from '@hubemu/shared';
import { parseCondition, parseQuery } from '../query/index.js';
import type { ConfigurationKind, StoredConfiguration } from './configuration-schemas.js';

const MODULE_CONDITION = /^\s*from\s+devices\.modules(?:\s+where\s+([\s\S]*))?$/i;

function invalidTarget(message: string): HubError {
  return new HubError('InvalidConfigurationTargetCondition', message);
}

/**
 * The WHERE condition a configuration's `targetCondition` stands for, checked by the query parser
 * (400 InvalidConfigurationTargetCondition with the parser's message). Device configurations take a
 * condition on device twins (`tags.environment='test'`, `*` for all); module configurations take
 * `FROM devices.modules WHERE ...` and cannot target every module (reference 4.6). An empty condition
 * targets nothing. Returns undefined for an empty condition.
 */
export function targetWhere(targetCondition: string, kind: ConfigurationKind): string | undefined {
  const text = targetCondition.trim();
  if (text === '') return undefined;
  const moduleMatch = MODULE_CONDITION.exec(text);
  if (kind === 'device') {
    if (moduleMatch) throw invalidTarget(`'${text}' targets modules, but a configuration with deviceContent targets device twins (use moduleContent for modules).`);
    parseOrExplain(() => parseCondition(text));
    return text;
  }
  if (!moduleMatch) throw invalidTarget(`A configuration with moduleContent targets module twins: its targetCondition is 'FROM devices.modules WHERE ...', not '${text}'.`);
  const where = (moduleMatch[1] ?? '').trim();
  if (where === '' || where === '*') throw invalidTarget('A module configuration cannot target every module; give a WHERE condition on module twins.');
  parseOrExplain(() => parseCondition(where, { collection: 'devices.modules' }));
  return where;
}

function parseOrExplain(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (error instanceof HubError) throw invalidTarget(`Invalid targetCondition: ${error.message}`);
    throw error;
  }
}

/** Checks a custom metric query (400 InvalidConfigurationCustomMetricsQuery with the parser's message). */
export function checkMetricQuery(name: string, query: string): void {
  try {
    parseQuery(query);
  } catch (error) {
    if (error instanceof HubError) throw new HubError('InvalidConfigurationCustomMetricsQuery', `Invalid custom metric '${name}': ${error.message}`);
    throw error;
  }
}

/** The system metrics' queries, shaped as the service shows them (reference 4.6). */
export function systemMetricQueries(configuration: StoredConfiguration): Record<string, string> {
  const escaped = `configurations.[[${configuration.id}]].status`;
  if (configuration.kind === 'module') {
    const where = configuration.targetCondition.trim() === '' ? undefined : targetWhere(configuration.targetCondition, 'module');
    return {
      targetedCount: where === undefined ? '' : `select deviceId, moduleId from devices.modules where ${where}`,
      appliedCount: `select deviceId, moduleId from devices.modules where ${escaped} = 'Applied'`,
    };
  }
  const where = configuration.targetCondition.trim();
  return {
    targetedCount: where === '' ? '' : where === '*' ? 'select deviceId from devices' : `select deviceId from devices where ${where}`,
    appliedCount: `select deviceId from devices where ${escaped} = 'Applied'`,
  };
}
