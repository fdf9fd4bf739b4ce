import { afterAll, beforeAll } from 'vitest';
import { startHub, type Hub, type HubOptionsInput } from '../../src/index.js';
import type { RawDevice } from '../raw-device.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';

export interface TestCluster {
  /** The process started as `name` (in the order given: the first leads). */
  hub(name: string): Hub;
  /** Closes `device` after the file. */
  track(device: RawDevice): RawDevice;
  /** The redis-server they share (for a process a test starts itself, or to kill and restart it). */
  redis(): RedisServer;
}

/**
 * Processes of one hub for a test file, in this one Node process: a throwaway redis-server and a
 * `startHub({ redis })` per name, on free ports, started in `beforeAll` and stopped in `afterAll`.
 */
export function testCluster(names: readonly string[], options: Omit<HubOptionsInput, 'redis' | 'processId'> & { leaseMs?: number } = {}): TestCluster {
  const { leaseMs, ...rest } = options;
  let redis: RedisServer | undefined;
  const hubs = new Map<string, Hub>();
  const devices: RawDevice[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    const url = redis.url;
    for (const name of names) {
      hubs.set(name, await startHub({ redis: { url, ...(leaseMs === undefined ? {} : { leaseMs }) }, processId: name, inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, ...rest }));
    }
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    for (const hub of hubs.values()) await hub.stop();
    await redis?.stop();
  });
  return {
    hub(name) {
      const hub = hubs.get(name);
      if (!hub) throw new Error(`no process ${name} (they start in beforeAll)`);
      return hub;
    },
    track(device) {
      devices.push(device);
      return device;
    },
    redis() {
      if (!redis) throw new Error('Redis starts in beforeAll');
      return redis;
    },
  };
}
