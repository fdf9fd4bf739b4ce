import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSasToken, WELL_KNOWN_POLICIES, type TrafficRecord } from '@hubemu/shared';
import { assertCliBuilt, BIN } from './run-cli.js';

// The examples of docs/testing-with-hubemu.md run here as written (the vitest suite runs in the unit project).
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'docs/examples');

let dir: string;
beforeAll(() => {
  assertCliBuilt();
  dir = mkdtempSync(join(tmpdir(), 'hubemu-examples-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(file: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd, env: { PATH: process.env.PATH, ...options.env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A port free right now (the hub runs as its own process, so port 0 cannot be used). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the testing guide examples', { timeout: 120_000 }, () => {
  it('runs the jest suite with the jest CLI', async () => {
    const jest = join(ROOT, 'node_modules/jest/bin/jest.js');
    const result = await run(process.execPath, ['--experimental-vm-modules', jest, '--config', 'jest.config.mjs', '--rootDir', '.', '--ci'], { cwd: join(EXAMPLES, 'jest') });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
  });

  it('keeps the published owner token valid: signed with the well-known iothubowner key for localhost', () => {
    const owner = WELL_KNOWN_POLICIES.find((p) => p.name === 'iothubowner');
    const token = signSasToken('localhost', owner?.primaryKey ?? '', 4102444800, 'iothubowner');
    expect(readFileSync(join(EXAMPLES, 'ci/hubemu-ci.sh'), 'utf8')).toContain(`OWNER_TOKEN='${token}'`);
    for (const doc of ['README.md', 'docs/testing-with-hubemu.md']) expect(readFileSync(join(ROOT, doc), 'utf8'), doc).toContain(`'Authorization: ${token}'`);
  });

  it('runs the CI script: hubemu as a process, curl for the controls, the recorded traffic kept', async () => {
    const seed = join(dir, 'seed.yaml');
    writeFileSync(seed, 'devices:\n  - deviceId: sensor-1\n    desired: { interval: 30 }\n');
    const traffic = join(dir, 'traffic.jsonl');
    // The project's "tests": one back-end call with curl, as any language would make it.
    const tests = 'curl -fsS -X PATCH --cacert "$HUBEMU_CA" -H "Authorization: $HUBEMU_OWNER_TOKEN" -H "Content-Type: application/json" -d \'{"properties":{"desired":{"interval":10}}}\' "$HUBEMU_URL/twins/sensor-1?api-version=2021-04-12"';
    const result = await run('sh', [join(EXAMPLES, 'ci/hubemu-ci.sh'), 'sh', '-c', tests], {
      cwd: dir,
      env: {
        HUBEMU: `${process.execPath} ${BIN}`,
        HUBEMU_HTTPS_PORT: String(await freePort()),
        HUBEMU_MQTT_PORT: String(await freePort()),
        HUBEMU_DATA_DIR: join(dir, 'hub'),
        HUBEMU_SEED: seed,
        HUBEMU_TRAFFIC: traffic,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deviceId: 'sensor-1', properties: { desired: { interval: 10 } } });
    const records = readFileSync(traffic, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as TrafficRecord);
    expect(records.map((r) => `${r.operation} ${r.deviceId} ${r.status}`)).toEqual(['PATCH /twins/:deviceId sensor-1 200']);
  });
});
