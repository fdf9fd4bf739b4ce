import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceClient } from '@hubemu/backend';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { assertCliBuilt, BIN, runCli } from './run-cli.js';

let dir: string;
let hub: Hub;
let caPath: string;
/** Commands a test started, so none outlives a failed test. */
const children: ChildProcess[] = [];

beforeAll(async () => {
  assertCliBuilt();
  dir = mkdtempSync(join(tmpdir(), 'hubemu-cli-fleet-'));
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
  caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, hub.caPem as string);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('hubemu fleet run: scenario files', { timeout: 30_000 }, () => {
  it('refuses a YAML scenario with a bad field, naming the file, the line and the path, and connects nothing', async () => {
    const file = write(
      'bad.yaml',
      ['name: bad', 'devices:', '  - model: sensor', '    count: 3', 'steps:', '  - createConfiguration:', '      id: Not_Lowercase', '      content: {}', ''].join('\n'),
    );
    const run = await runCli(['fleet', 'run', '--scenario', file], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:7: steps.0.createConfiguration.id: a configuration id is 1-128 lowercase letters, digits and dashes`);
  });

  it('refuses a JSON scenario with an unknown device model, naming the line and the path', async () => {
    const file = write('bad.json', '{\n  "name": "bad",\n  "devices": [\n    { "model": "toaster", "count": 1 }\n  ]\n}\n');
    const run = await runCli(['fleet', 'run', '--scenario', file], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:4: devices\\.0\\.model: `));
  });

  it('refuses a scenario file that is not YAML, naming the line', async () => {
    const file = write('broken.yaml', 'name: broken\ndevices: [\n');
    const run = await runCli(['fleet', 'run', '--scenario', file], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken\.yaml:\d+: /);
  });

  it('names the built-in scenarios when --scenario is neither one of them nor a file', async () => {
    const run = await runCli(['fleet', 'run', '--scenario', 'no-such-thing'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('telemetry-config, firmware-update, reboot, twin-update-job, connect-storm, soak');
  });
});

describe('hubemu fleet run: built-in scenarios against a hub it starts itself', { timeout: 90_000 }, () => {
  it.each(['telemetry-config', 'firmware-update', 'reboot', 'twin-update-job', 'connect-storm'])(
    '%s at 10 devices: every device connects and converges, the identities are removed afterwards, and the HTML report is self-contained',
    async (scenario) => {
      const html = join(dir, `${scenario}.html`);
      const run = await runCli(['fleet', 'run', '--devices', '10', '--scenario', scenario, '--output', 'json', '--html', html], { cwd: dir });
      expect(run.stderr).not.toContain('failed');
      expect(run.code).toBe(0);
      const report = run.json;
      expect(report.devices).toEqual({ planned: 10, connected: 10, converged: 10, failed: 0 });
      expect(report.convergence.latencyMs.count).toBe(10);
      expect(report.convergence.timeToPercentMs['100']).toBe(report.convergence.latencyMs.max);
      expect(report.errors).toEqual([]);
      expect(report.identities).toMatchObject({ created: 10, removed: 10 });
      expect(report.run.hub).toBe('started');
      expect(report.hub.memory.maxRssMb).toBeGreaterThan(0);
      // The HTML report is one page that loads nothing: the chart library and the data are inline.
      const page = readFileSync(html, 'utf8');
      expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img|url\(\s*['"]?https?:/);
      expect(page).toContain('uPlot');
      expect(page).toContain('The same rollout on the real service');
      for (const tier of ['F1', 'S1', 'S2', 'S3']) expect(page).toContain(`<td>${tier} x 1</td>`);
      if (scenario !== 'telemetry-config') return;
      // The rollout's window holds at least each device's exchange: Pending and Success up; the desired patch and two answers down.
      const rollout = report.messages.rollout;
      expect(rollout.deviceToHub).toBeGreaterThanOrEqual(10 * 2);
      expect(rollout.hubToDevice).toBeGreaterThanOrEqual(10 * 3);
      expect(rollout.windowMs).toBe(report.convergence.timeToPercentMs['100']);
      expect(rollout.perSecond).toBe(Math.round(((rollout.deviceToHub + rollout.hubToDevice) / rollout.windowMs) * 10_000) / 10);
    },
  );

  it('soak at 10 devices sends telemetry for --duration with devices dropping and coming back', async () => {
    const run = await runCli(['fleet', 'run', '--devices', '10', '--scenario', 'soak', '--duration', '4', '--output', 'json'], { cwd: dir });
    expect(run.code).toBe(0);
    const report = run.json;
    expect(report.devices).toMatchObject({ planned: 10, connected: 10, failed: 0 });
    expect(report.convergence.rule).toBeNull();
    expect(report.messages.deviceToHub).toBeGreaterThan(10 * 2);
    expect(report.connect.reconnects).toBeGreaterThan(0);
  });
});

describe('hubemu fleet run: TLS session resumption', { timeout: 90_000 }, () => {
  it('resumes the TLS session of an earlier connection to the hub and says how many did; --no-tls-resume makes full handshakes', async () => {
    // connect-storm: every device connects, drops and reconnects, so the reconnections at least have a session to resume.
    const resumed = await runCli(['fleet', 'run', '--devices', '5', '--scenario', 'connect-storm', '--output', 'json'], { cwd: dir });
    expect(resumed.code).toBe(0);
    const offered = resumed.json.run.tlsSessionResumption;
    expect(offered).toMatchObject({ offered: true, connections: 10 });
    expect(offered.resumed).toBeGreaterThanOrEqual(5);
    const full = await runCli(['fleet', 'run', '--devices', '5', '--scenario', 'connect-storm', '--output', 'json', '--no-tls-resume'], { cwd: dir });
    expect(full.code).toBe(0);
    expect(full.json.run.tlsSessionResumption).toEqual({ offered: false, connections: 10, resumed: 0 });
  });

  it('resumes TLS sessions over wss too: the hub\'s HTTPS listener takes the ticket under the WebSocket', async () => {
    const run = await runCli(['fleet', 'run', '--devices', '5', '--scenario', 'connect-storm', '--transport', 'wss', '--output', 'json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.json.run.transport).toBe('wss');
    const offered = run.json.run.tlsSessionResumption;
    expect(offered).toMatchObject({ offered: true, connections: 10 });
    expect(offered.resumed).toBeGreaterThanOrEqual(5);
  });
});

describe('hubemu fleet run: the report against a hand-counted run', { timeout: 60_000 }, () => {
  it('counts 3 converged and 2 failed of 5 devices, with the failures by kind and device, the messages each way, and the Success reports stored by the hub', async () => {
    const file = write(
      'counted.yaml',
      [
        'name: counted',
        'devices:',
        '  - { model: sensor, count: 3, applyDelayMs: 50, telemetryIntervalMs: null }',
        '  - { model: sensor, count: 2, applyDelayMs: 50, telemetryIntervalMs: null, failureRate: 1 }',
        "convergence: { reported: telemetryConfig, matches: { configId: counted, status: Success }, failsWhen: { status: Failed } }",
        'steps:',
        "  - createConfiguration: { id: counted, content: { properties.desired.telemetryConfig: { configId: counted, sendFrequency: 1h } } }",
        '  - waitFor: { converged: 1, timeoutMs: 20000 }',
        '',
      ].join('\n'),
    );
    const reportPath = join(dir, 'counted.json');
    const args = ['fleet', 'run', '--scenario', file, '--hub', hub.connectionString(), '--ca', caPath, '--device-port', String(hub.ports.mqtt), '--report', reportPath, '--keep'];
    const run = await runCli(args, { cwd: dir });
    expect(run.code).toBe(2); // not every device converged
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    expect(report.devices).toEqual({ planned: 5, connected: 5, converged: 3, failed: 2 });
    expect(report.connect.latencyMs.count).toBe(5);
    expect(report.convergence.latencyMs.count).toBe(3);
    expect(report.convergence.failed).toBe(2);
    // 50 % of 5 is the 3rd device; 90 % and 100 % were never reached.
    expect(report.convergence.timeToPercentMs).toEqual({ '50': report.convergence.latencyMs.max, '90': null, '99': null, '100': null });
    expect(report.errors).toEqual([{ reason: 'convergence: reported failure', count: 2, deviceIds: ['fleet-sensor2-00000', 'fleet-sensor2-00001'] }]);
    // Per device: twin GET, its initial report, Pending and Success/Failed up; their 4 answers and 1 desired patch down.
    expect(report.messages).toMatchObject({ deviceToHub: 5 * 4, hubToDevice: 5 * 5 });
    expect(report.identities).toMatchObject({ created: 5, removed: 0, kept: true });
    expect(report.hub).toBeNull();

    const client = ServiceClient.fromConnectionString(hub.connectionString(), { ca: hub.caPem as string });
    try {
      const stored = await client.query.all<{ n: number }>("SELECT COUNT() AS n FROM devices WHERE properties.reported.telemetryConfig.status = 'Success' AND properties.reported.telemetryConfig.configId = 'counted'");
      expect(stored[0]?.n).toBe(3);
      // Convergence is timed from the hub's own creation time of the configuration.
      const configuration = (await client.configurations.list()).find((c) => c.id.startsWith('counted-'));
      expect(report.convergence.startedAt).toBe(Date.parse(configuration?.createdTimeUtc ?? ''));
    } finally {
      client.close();
    }
  });
});

/** Starts a 600-second soak of 5 devices writing its report to `reportPath`; resolves once its rollout has begun. */
async function longSoak(reportPath: string): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'fleet', 'run', '--devices', '5', '--scenario', 'soak', '--duration', '600', '--report', reportPath, '--output', 'json'], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('fleet rollout')) resolve();
    });
    child.once('exit', () => reject(new Error(`exited before the rollout: ${stderr}`)));
  });
  return { child, exited };
}

describe('hubemu fleet run: a hub that dies under the run', { timeout: 60_000 }, () => {
  it('ends the run at once, says the hub exited, and still writes the report', async () => {
    const reportPath = join(dir, 'hub-died.json');
    const { child, exited } = await longSoak(reportPath);
    const hubPid = Number(execFileSync('pgrep', ['-P', String(child.pid), '-f', 'bin.js start']).toString().trim());
    process.kill(hubPid, 'SIGKILL');
    expect(await exited).toBe(2);
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    expect(report.run).toMatchObject({ interrupted: false, endedBy: 'hub exit' });
    expect(report.errors).toContainEqual({ reason: 'hub: exited (SIGKILL) during the run', count: 1, deviceIds: [] });
  });
});

describe('hubemu fleet run: a command killed outright', { timeout: 60_000 }, () => {
  it('takes its hub and device processes with it', async () => {
    const { child, exited } = await longSoak(join(dir, 'killed.json'));
    const pids = execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim().split('\n').map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(2); // the hub and one device process
    child.kill('SIGKILL');
    await exited;
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(() => pids.filter(alive), { timeout: 20_000, interval: 100 }).toEqual([]);
  });
});

describe('hubemu fleet run: Ctrl-C', { timeout: 60_000 }, () => {
  it('stops cleanly on SIGINT, still writes the report, and removes the identities', async () => {
    const reportPath = join(dir, 'interrupted.json');
    const { child, exited } = await longSoak(reportPath);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(existsSync(reportPath)).toBe(true);
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    expect(report.run.interrupted).toBe(true);
    expect(report.devices).toMatchObject({ planned: 5, connected: 5 });
    expect(report.identities).toMatchObject({ created: 5, removed: 5 });
  });
});
