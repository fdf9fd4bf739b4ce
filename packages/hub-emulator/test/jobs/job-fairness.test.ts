import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { connectRaw } from '../raw-device.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, trafficBufferSize: 0 });
  for (let i = 0; i < 5_000; i++) hub.createDevice(`bulk-${i}`, { tags: { bulk: true } });
  hub.createDevice('bystander');
});
afterAll(async () => {
  await hub.stop();
});

describe('a large job and device traffic', () => {
  it('answers a device twin request while a job on 5,000 devices is still running', async () => {
    const device = await connectRaw(hub, 'bystander');
    try {
      const firstWrite = new Promise<void>((resolve) => {
        const onUpdate = (event: { source: string }): void => {
          if (event.source !== 'job') return;
          hub.events.off('twinUpdated', onUpdate);
          resolve();
        };
        hub.events.on('twinUpdated', onUpdate);
      });
      hub.jobs.create('bulk', { type: 'scheduleUpdateTwin', queryCondition: 'tags.bulk = true', updateTwin: { properties: { desired: { wave: 1 } } }, startTime: null });
      await firstWrite;
      const answer = await device.request(topics.twinGet('during'), '', 'during');
      expect(answer.topic).toBe('$iothub/twin/res/200/?$rid=during');
      const job = hub.jobs.get('bulk');
      expect(job.status).toBe('running');
      expect(job.deviceJobStatistics?.pendingCount).toBeGreaterThan(0);
      expect((await hub.jobs.whenFinished('bulk')).deviceJobStatistics?.succeededCount).toBe(5_000);
    } finally {
      await device.close();
    }
  });
});
