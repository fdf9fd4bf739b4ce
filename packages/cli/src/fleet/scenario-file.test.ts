import { describe, expect, it } from 'vitest';
import { BUILT_IN_SCENARIOS } from './built-in-scenarios.js';
import { loadScenario, parseScenarioText } from './scenario-file.js';
import { defaultDurationMs } from './scenario.js';

const problem = (text: string): string => {
  try {
    parseScenarioText(text, 'the.yaml');
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return 'no error';
};

describe('scenario files', () => {
  it('accepts every built-in scenario', () => {
    for (const name of Object.keys(BUILT_IN_SCENARIOS)) expect(loadScenario(name).scenario.name).toBe(name);
  });

  it('names the line and path of a field of the wrong type, and of an unknown field', () => {
    const text = ['name: x', 'devices:', '  - model: sensor', '    count: many', '    colour: blue', ''].join('\n');
    const message = problem(text);
    expect(message).toContain('the.yaml:4: devices.0.count: ');
    expect(message).toMatch(/the\.yaml:\d: devices\.0: Unrecognized key: "colour"/);
  });

  it('refuses a convergence rule no step can start, naming the convergence line', () => {
    const text = ['name: x', 'devices: [{ model: sensor }]', 'convergence:', '  reported: telemetryConfig', '  matches: { status: Success }', 'steps:', '  - pause: { ms: 10 }', ''].join('\n');
    expect(problem(text)).toContain("the.yaml:4: convergence: convergence is measured from the rollout's first step, and no step starts one");
  });

  it('refuses waiting for a converged share when the scenario does not say what converged means', () => {
    const text = ['name: x', 'devices: [{ model: sensor }]', 'steps:', '  - waitFor: { converged: 1 }', ''].join('\n');
    expect(problem(text)).toContain('the.yaml:4: steps.0.waitFor.converged: waiting for a converged share needs');
  });

  it('refuses duplicate keys, which YAML would otherwise let the last one win', () => {
    expect(problem('name: a\nname: b\ndevices: [{ model: plain }]\n')).toMatch(/the\.yaml:2: /);
  });
});

describe('scenario duration', () => {
  it('gives any scenario that pauses until the duration 30 s by default, not only the built-in soak', () => {
    const custom = parseScenarioText('name: my-soak\ndevices: [{ model: sensor }]\nsteps:\n  - pause: { untilDuration: true }\n', 'soak.yaml');
    expect(defaultDurationMs(custom)).toBe(30_000);
    expect(defaultDurationMs(loadScenario('soak').scenario)).toBe(30_000);
    expect(defaultDurationMs(loadScenario('telemetry-config').scenario)).toBeUndefined();
  });
});
