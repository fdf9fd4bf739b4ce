import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { TransportSchema, type Transport } from '@hubemu/device-agent';
import { integerFlag } from '../options.js';
import type { FleetRunReport } from '../fleet/fleet-run-report.js';
import { createProgress } from '../fleet/progress.js';
import { renderReportHtml } from '../fleet/report-html.js';
import { renderSummary } from '../fleet/report-table.js';
import { runScenario } from '../fleet/run-scenario.js';
import { loadScenario } from '../fleet/scenario-file.js';
import { defaultDurationMs } from '../fleet/scenario.js';
import { parseOutputFormat, type OutputFormat } from './output-format.js';
import { caPathIn, DEFAULT_DATA_DIR, EXIT, findDefaultCa, UsageError } from './service-command.js';

interface FleetRunFlags {
  devices?: number;
  scenario: string;
  hub?: string;
  ca?: string;
  devicePort?: number;
  transport: Transport;
  tlsResume: boolean;
  connectRate: number;
  maxConcurrentConnects: number;
  connectAttempts: number;
  duration?: number;
  seed: number;
  report?: string;
  html?: string;
  output: OutputFormat;
  keep?: boolean;
  devicesPerProcess: number;
  tierUnits: number;
  progress: boolean;
  hubProcesses: number;
  redis?: string;
}

function readCa(flags: FleetRunFlags): string | undefined {
  const path = flags.ca ?? findDefaultCa(process.cwd());
  return path === undefined ? undefined : readFileSync(path, 'utf8');
}

function writeReports(report: FleetRunReport, flags: FleetRunFlags): void {
  if (flags.report) writeFileSync(flags.report, `${JSON.stringify(report, null, 2)}\n`);
  if (flags.html) writeFileSync(flags.html, renderReportHtml(report));
  process.stdout.write(`${flags.output === 'json' ? JSON.stringify(report, null, 2) : renderSummary(report)}\n`);
}

/** `hubemu fleet run`: load tests with virtual devices driven through the real device management flows. */
export function registerFleet(program: Command): void {
  const fleet = program.command('fleet').description('Load tests: run a fleet of virtual devices through a device management scenario and report what happened.');
  fleet
    .command('run')
    .description('Run a scenario with N virtual devices against a hub (its own, in a child process, unless --hub) and report connect and convergence numbers.')
    .option('-n, --devices <n>', "devices in all (the scenario's model counts are scaled to it)", integerFlag('--devices', 1, 1_000_000))
    .option('-s, --scenario <name|file>', 'a built-in scenario (telemetry-config, firmware-update, reboot, twin-update-job, connect-storm, soak) or a YAML/JSON file', 'telemetry-config')
    .addOption(new Option('--hub <connection-string>', "a running hub's owner connection string (default: start one in a child process)").env('HUBEMU_CONNECTION_STRING'))
    .option('--ca <file>', `CA certificate (PEM) of --hub (default: the nearest ${caPathIn(DEFAULT_DATA_DIR)} from this folder up)`)
    .option('--device-port <port>', "the device port of --hub (default by transport: 8883, 443, 1883)", integerFlag('--device-port', 1, 65_535))
    .addOption(new Option('-t, --transport <transport>', 'how devices connect').choices(TransportSchema.options).default('mqtts'))
    .option('--no-tls-resume', 'every connection makes a full TLS handshake (by default devices resume the TLS session of an earlier connection to the hub)')
    .option('--connect-rate <n>', 'new connections per second, at most', integerFlag('--connect-rate', 1, 100_000), 200)
    .option('--max-concurrent-connects <n>', 'connection attempts in flight at once', integerFlag('--max-concurrent-connects', 1, 100_000), 100)
    .option('--connect-attempts <n>', 'attempts per device before it counts as failed (exponential backoff from 500 ms)', integerFlag('--connect-attempts', 1, 20), 5)
    .option('-d, --duration <seconds>', 'how long the run may last once the devices are up (a pause untilDuration step, as in soak, runs that long; default 30 s for such scenarios, else the steps\' own timeouts)', integerFlag('--duration', 1, 604_800))
    .option('--seed <n>', 'seed of every random choice', integerFlag('--seed', 0, 2_147_483_647), 1)
    .option('--report <file.json>', 'write the JSON report here')
    .option('--html <file.html>', 'write a self-contained HTML report here')
    .addOption(new Option('-o, --output <format>', 'json or table').default('table').argParser(parseOutputFormat))
    .option('--keep', 'keep the identities and configurations afterwards')
    .option('--devices-per-process <n>', 'devices per child process (a process may hold 20,000 open files)', integerFlag('--devices-per-process', 1, 18_000), 5_000)
    .option('--tier-units <n>', "units of each real tier in the report's tier table (F1 has one; S1 and S2 up to 200, S3 up to 10)", integerFlag('--tier-units', 1, 200), 1)
    .option('--no-progress', 'no progress bar (it is drawn only when stdout is a terminal anyway)')
    .option('--hub-processes <n>', 'the hub this command starts runs as this many processes sharing their state through --redis (docs/scale-out.md)', integerFlag('--hub-processes', 1, 64), 1)
    .option('--redis <url>', 'the Redis the hub this command starts keeps its state in (a namespace of the run\'s own)')
    .action(async (flags: FleetRunFlags) => {
      let loaded;
      try {
        if (flags.hubProcesses > 1 && flags.redis === undefined) {
          throw new Error(`--hub-processes ${flags.hubProcesses} needs --redis <url>: hub processes share their state through Redis (docs/scale-out.md).`);
        }
        if (flags.redis !== undefined && flags.hub !== undefined) throw new Error('--redis is for the hub this command starts; leave it out with --hub.');
        loaded = loadScenario(flags.scenario);
      } catch (error) {
        process.stderr.write(`hubemu: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const interrupt = new AbortController();
      const onSigint = (): void => {
        if (interrupt.signal.aborted) process.exit(130);
        process.stderr.write('hubemu: stopping (Ctrl-C again to quit at once)\n');
        interrupt.abort();
      };
      process.on('SIGINT', onSigint);
      const progress = createProgress(flags.progress);
      let lastPhase = '';
      try {
        const report = await runScenario({
          loaded,
          devices: flags.devices,
          hub: flags.hub,
          caPem: flags.hub === undefined ? undefined : readCa(flags),
          devicePort: flags.devicePort,
          transport: flags.transport,
          resumeTlsSession: flags.tlsResume,
          connectRate: flags.connectRate,
          maxConcurrentConnects: flags.maxConcurrentConnects,
          connectAttempts: flags.connectAttempts,
          durationMs: flags.duration === undefined ? defaultDurationMs(loaded.scenario) : flags.duration * 1000,
          seed: flags.seed,
          keep: Boolean(flags.keep),
          devicesPerProcess: flags.devicesPerProcess,
          hubProcesses: flags.hubProcesses,
          ...(flags.redis === undefined ? {} : { redis: flags.redis }),
          tierUnits: flags.tierUnits,
          signal: interrupt.signal,
          onProgress: (recorder, phase) => {
            progress.update(recorder, phase);
            if (phase !== lastPhase && !process.stdout.isTTY) process.stderr.write(`hubemu: fleet ${phase}\n`);
            lastPhase = phase;
          },
        });
        progress.stop();
        writeReports(report, flags);
        if (report.run.interrupted) process.exitCode = 130;
        else if (report.run.endedBy === 'hub exit' || report.devices.failed > 0 || (report.convergence.rule !== null && report.devices.converged < report.devices.planned)) process.exitCode = EXIT.hubError;
      } catch (error) {
        progress.stop();
        if (error instanceof UsageError) throw error;
        process.stderr.write(`hubemu: fleet run failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = EXIT.usage;
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}
