import type { Hub, Logger, Seed } from '@hubemu/hub-emulator';

/** The workshop fleet: a few devices in two plants, with tags the tutorials query. */
export const DEMO_SEED: Seed = {
  devices: [
    { deviceId: 'thermostat-{n}', count: 3, tags: { location: { region: 'US', plant: 'Redmond43' }, model: 'thermostat' }, desired: { telemetryConfig: { sendFrequency: '5m' } } },
    { deviceId: 'pump-{n}', count: 2, tags: { location: { region: 'EU', plant: 'Dublin7' }, model: 'pump' } },
  ],
};

export interface DemoFleet {
  stop(): Promise<void>;
}

/** Simulated devices for the demo fleet (filled in with the device agent's behaviours). */
export async function startDemoFleet(_hub: Hub, _logger: Logger): Promise<DemoFleet> {
  return { stop: async () => {} };
}
