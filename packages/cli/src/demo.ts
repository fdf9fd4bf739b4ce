import type { Hub, Logger, SeedInput } from '@hubemu/hub-emulator';
import { periodicTelemetry, startFleet, telemetryConfig, type Fleet } from '@hubemu/device-agent';

const THERMOSTAT_MODEL = 'dtmi:com:example:Thermostat;1';
const SENSOR_MODEL = 'dtmi:com:example:Sensor;1';
/** How often one of the roaming devices is dropped (it reconnects by itself): the fleet always has something going offline. */
export const DEMO_ROAMER_DROP_MS = 20_000;

/**
 * The workshop fleet, 25 devices of mixed models so every dashboard page has life: thermostats in a
 * US plant and sensors in an EU plant (tagged the way the tutorials query), a few "picky" sensors
 * that fail every telemetry configuration, and roaming devices that go offline now and then.
 */
export const DEMO_SEED: SeedInput = {
  devices: [
    { deviceId: 'thermostat-{n}', count: 10, tags: { location: { region: 'US', plant: 'Redmond43' }, model: 'thermostat' }, desired: { telemetryConfig: { sendFrequency: '5m' } } },
    { deviceId: 'sensor-{n}', count: 8, tags: { location: { region: 'EU', plant: 'Dublin7' }, model: 'sensor' }, desired: { telemetryConfig: { sendFrequency: '10m' } } },
    { deviceId: 'picky-{n}', count: 3, tags: { location: { region: 'EU', plant: 'Dublin7' }, model: 'sensor' }, desired: { telemetryConfig: { sendFrequency: '1m' } } },
    { deviceId: 'roamer-{n}', count: 4, tags: { location: { region: 'US', plant: 'Field' }, model: 'tracker' } },
  ],
};

export interface DemoFleet {
  stop(): Promise<void>;
}

/**
 * Runs the demo devices against the hub with the device agent: thermostats answer reboot, factory
 * reset, configuration and firmware updates and send telemetry; sensors follow configurations; picky
 * sensors fail them; roamers only connect, and one of them is dropped every DEMO_ROAMER_DROP_MS.
 */
export async function startDemoFleet(hub: Hub, logger: Logger): Promise<DemoFleet> {
  const ids = (prefix: string): string[] => hub.registry.listDevices().map((d) => d.deviceId).filter((id) => id.startsWith(prefix));
  const fleet: Fleet = startFleet({
    hostName: hub.hostName,
    deviceKey: (id) => hub.registry.getDevice(id).authentication.symmetricKey.primaryKey ?? undefined,
    devices: [
      { model: 'thermostat', deviceIds: ids('thermostat-'), modelId: THERMOSTAT_MODEL },
      { model: 'sensor', deviceIds: ids('sensor-'), modelId: SENSOR_MODEL },
      { model: 'picky', deviceIds: ids('picky-'), modelId: SENSOR_MODEL, behaviours: [telemetryConfig({ failWhen: () => true }), periodicTelemetry()] },
      { model: 'plain', deviceIds: ids('roamer-') },
    ],
    client: { port: hub.ports.mqtt, ...(hub.caPem ? { ca: hub.caPem } : {}) },
    logger,
  });
  await fleet.settled;
  const report = fleet.report();
  logger.info({ connected: report.devices.connected, failed: report.devices.failed }, 'demo fleet running');
  const roamers = ids('roamer-');
  let next = 0;
  const drops = setInterval(() => {
    const id = roamers[next % roamers.length];
    next += 1;
    if (id !== undefined && hub.disconnectDevice(id)) logger.info({ deviceId: id }, 'demo: dropped a roaming device (it reconnects by itself)');
  }, DEMO_ROAMER_DROP_MS);
  drops.unref();
  return {
    async stop() {
      clearInterval(drops);
      await fleet.stop();
    },
  };
}
