// Test controls benchmark: POST /emulator/reset of a hub seeded with N devices (tags, desired, a module),
// against its floor in the same run: starting a fresh hub with the same seed, which a suite would do
// instead of a reset.
import { fileURLToPath } from 'node:url';
import { startHub } from '../packages/hub-emulator/dist/index.js';
import { round, summarize } from './lib/stats.mjs';

export async function run({ smoke }) {
  const count = smoke ? 1_000 : 10_000;
  const rounds = smoke ? 2 : 5;
  const seed = { devices: [{ deviceId: 'dev-{n}', count, tags: { site: 'north' }, desired: { interval: 30 }, modules: [{ moduleId: 'agent' }] }] };
  const options = { inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, seed };

  const startMs = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const fresh = await startHub(options);
    startMs.push(performance.now() - started);
    await fresh.stop();
  }

  const hub = await startHub(options);
  const resetMs = [];
  try {
    for (let i = 0; i < rounds; i++) {
      hub.createDevice(`extra-${i}`);
      const result = await hub.reset();
      if (result.devices !== count) throw new Error(`reset created ${result.devices} of ${count} devices`);
      resetMs.push(result.durationMs);
    }
  } finally {
    await hub.stop();
  }
  const reset = summarize(resetMs).p50;
  const start = summarize(startMs).p50;
  return {
    title: 'Test controls',
    rows: [
      { name: `reset to a seed of ${count} devices (and ${count} modules)`, value: round(reset, 0), unit: 'ms (p50)', floor: round(start, 0), ratio: round(reset / start), note: 'floor: start a fresh hub with the same seed' },
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
