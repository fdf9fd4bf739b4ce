import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'azure-iothub';
import { startE2eHub } from './hub-fixture.js';

type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;
let hub: E2eHub;
let registry: Registry;

beforeAll(async () => {
  hub = await startE2eHub({
    seed: {
      devices: [
        { deviceId: 'redmond-{n}', count: 150, tags: { location: { region: 'US', plant: 'Redmond43' } }, reported: { telemetryConfig: { status: 'Success' }, connectivity: 'wifi' } },
        { deviceId: 'dublin-{n}', count: 60, tags: { location: { region: 'EU', plant: 'Dublin7' } }, reported: { telemetryConfig: { status: 'Pending' }, connectivity: 'wired' } },
        { deviceId: 'oslo-{n}', count: 40, tags: { location: { region: 'EU', plant: 'Oslo2' } }, reported: { telemetryConfig: { status: 'Error' } } },
      ],
    },
  });
  registry = Registry.fromConnectionString(hub.connectionString());
});
afterAll(async () => {
  await hub.dispose();
});

describe('queries through Microsoft azure-iothub', () => {
  it('pages 250 twins in pages of 100 with nextAsTwin', async () => {
    const query = registry.createQuery('SELECT * FROM devices', 100);
    const pages: number[] = [];
    const ids = new Set<string>();
    while (query.hasMoreResults) {
      const { result } = await query.nextAsTwin();
      pages.push(result.length);
      for (const twin of result) ids.add(twin.deviceId);
    }
    expect(pages).toEqual([100, 100, 50]);
    expect(ids.size).toBe(250);
  });

  it('answers by tag and by reported property', async () => {
    const byTag = await registry.createQuery("SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'", 100).nextAsTwin();
    expect(byTag.result).toHaveLength(100);
    expect(byTag.result.every((t) => (t.tags as { location?: { plant?: string } }).location?.plant === 'Redmond43')).toBe(true);
    const query = registry.createQuery("SELECT * FROM devices WHERE properties.reported.connectivity IN ['wired', 'wifi']");
    const { result } = await query.nextAsTwin();
    expect(result).toHaveLength(100);
    expect(query.hasMoreResults).toBe(true);
  });

  it('groups by reported status with COUNT()', async () => {
    const { result } = await registry
      .createQuery('SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.telemetryConfig.status')
      .next();
    expect(result).toEqual(
      expect.arrayContaining([
        { status: 'Success', numberOfDevices: 150 },
        { status: 'Pending', numberOfDevices: 60 },
        { status: 'Error', numberOfDevices: 40 },
      ]),
    );
    expect(result).toHaveLength(3);
  });

  it('counts devices', async () => {
    const { result } = await registry.createQuery('SELECT COUNT() AS totalNumberOfDevices FROM devices').next();
    expect(result).toEqual([{ totalNumberOfDevices: 250 }]);
  });

  it('refuses what the real service refuses with an error that names the position', async () => {
    await expect(registry.createQuery('SELECT * FROM devices ORDER BY deviceId').next()).rejects.toThrow(/position/i);
  });
});
