import type { Hub, Logger, Seed } from '@hubemu/hub-emulator';
import { startFleet, type Fleet } from '@hubemu/device-agent';

/** The workshop fleet: thermostats in a US plant and sensors in an EU plant, tagged the way the tutorials query. */
export const DEMO_SEED: Seed = {
  devices: [
    { deviceId: 'thermostat-{n}', count: 3, tags: { location: { region: 'US', plant: 'Redmond43' }, model: 'thermostat' }, desired: { telemetryConfig: { sendFrequency: '5m' } } },
    { deviceId: 'sensor-{n}', count: 2, tags: { location: { region: 'EU', plant: 'Dublin7' }, model: 'sensor' } },
  ],
};

export interface DemoFleet {
  stop(): Promise<void>;
}

/**
 * Runs the demo devices against the hub with the device agent: thermostats answer reboot, factory
 * reset, configuration and firmware updates and send telemetry; sensors follow configurations.
 */
export async function startDemoFleet(hub: Hub, logger: Logger): Promise<DemoFleet> {
  const ids = (prefix: string): string[] => hub.registry.listDevices().map((d) => d.deviceId).filter((id) => id.startsWith(prefix));
  const fleet: Fleet = startFleet({
    hostName: hub.hostName,
    deviceKey: (id) => hub.registry.getDevice(id).authentication.symmetricKey.primaryKey ?? undefined,
    devices: [
      { model: 'thermostat', deviceIds: ids('thermostat-') },
      { model: 'sensor', deviceIds: ids('sensor-') },
    ],
    client: { port: hub.ports.mqtt, ...(hub.caPem ? { ca: hub.caPem } : {}) },
    logger,
  });
  await fleet.settled;
  const report = fleet.report();
  logger.info({ connected: report.devices.connected, failed: report.devices.failed }, 'demo fleet running');
  return {
    async stop() {
      await fleet.stop();
    },
  };
}
