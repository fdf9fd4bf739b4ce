// Restart benchmark: a durable hub with N twins is stopped and started again on the same directory.
// Floor: reading the same state file and parsing every line, which any restart has to do.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub } from '../packages/hub-emulator/dist/index.js';
import { round } from './lib/stats.mjs';

function twinShape(i) {
  return {
    tags: { location: { region: i % 2 ? 'US' : 'EU', plant: `plant-${i % 50}` }, model: `m${i % 7}` },
    properties: { desired: { telemetryConfig: { sendFrequency: `${(i % 10) + 1}m` }, firmware: { version: `1.${i % 5}.0` } } },
  };
}

export async function run({ smoke }) {
  const count = smoke ? 2_000 : 100_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'hubemu-restart-'));
  const options = { dataDir, mqttPort: 0, httpsPort: 0, amqpPort: 0 };
  try {
    let hub = await startHub(options);
    const key = Buffer.alloc(32, 1).toString('base64');
    const fillStarted = performance.now();
    for (let i = 0; i < count; i++) {
      hub.createDevice(`dev-${i}`, { primaryKey: key, secondaryKey: key });
      hub.updateTwin(`dev-${i}`, twinShape(i));
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    await hub.stop();

    const floorStarted = performance.now();
    const text = readFileSync(join(dataDir, 'state', 'state.jsonl'), 'utf8');
    let parsed = 0;
    for (const line of text.split('\n')) if (line) parsed += JSON.parse(line) ? 1 : 0;
    const floorMs = performance.now() - floorStarted;

    const restartStarted = performance.now();
    hub = await startHub(options);
    const restartMs = performance.now() - restartStarted;
    const restored = hub.registry.statistics().totalDeviceCount;
    await hub.stop();
    if (restored !== count || parsed < count) throw new Error(`restart restored ${restored} of ${count} devices`);
    return {
      title: 'Durable state',
      rows: [
        { name: `restart with ${count} twins`, value: round(restartMs, 0), unit: 'ms', floor: round(floorMs, 0), ratio: round(restartMs / floorMs), note: 'floor: read and JSON.parse the same state file' },
        { name: `durable writes while filling (create + twin patch)`, value: round((2 * count) / fillSeconds, 0), unit: 'writes/s', note: 'each write reaches the kernel before it is acknowledged' },
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
