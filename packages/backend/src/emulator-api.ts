import { z } from 'zod';
import {
  ConsumerGroupSchema,
  DisconnectResultSchema,
  ResetResultSchema,
  TrafficPageSchema,
  type ConsumerGroup,
  type ResetResult,
  type TrafficFilter,
  type TrafficPage,
} from '@hubemu/shared';
import { expectBody } from './responses.js';
import { pathOf, type RestClient } from './rest-client.js';

/**
 * hubemu's test controls (`/emulator/`, docs/testing-with-hubemu.md): not part of the real service.
 * They need a policy with every permission (iothubowner).
 */
export class EmulatorApi {
  constructor(private readonly rest: RestClient) {}

  /** Back to the seeded state: connections closed, state emptied, the seed applied again. */
  async reset(): Promise<ResetResult> {
    return expectBody(ResetResultSchema, await this.rest.request({ method: 'POST', path: '/emulator/reset' }), 'reset');
  }

  /** What crossed the hub's planes, filtered, and how many records its bound dropped. */
  async traffic(filter: TrafficFilter = {}): Promise<TrafficPage> {
    return expectBody(TrafficPageSchema, await this.rest.request({ method: 'GET', path: '/emulator/traffic', query: { ...filter } }), 'traffic');
  }

  /** Drops a device's (or module's) connection; false when it was not connected. */
  async disconnect(deviceId: string, options: { moduleId?: string } = {}): Promise<boolean> {
    const path = options.moduleId === undefined ? pathOf('emulator', 'devices', deviceId, 'disconnect') : pathOf('emulator', 'devices', deviceId, 'modules', options.moduleId, 'disconnect');
    return expectBody(DisconnectResultSchema, await this.rest.request({ method: 'POST', path }), 'disconnect').disconnected;
  }

  /** The Event Hubs-compatible endpoint's consumer groups, `$Default` first. */
  async consumerGroups(): Promise<ConsumerGroup[]> {
    return expectBody(z.array(ConsumerGroupSchema), await this.rest.request({ method: 'GET', path: '/emulator/eventhub/consumergroups' }), 'consumer groups');
  }

  /** One consumer group (any case); 404 NotFound when there is none. */
  async consumerGroup(name: string): Promise<ConsumerGroup> {
    return expectBody(ConsumerGroupSchema, await this.rest.request({ method: 'GET', path: pathOf('emulator', 'eventhub', 'consumergroups', name) }), 'consumer group');
  }

  /** Creates a consumer group; 409 Conflict when it exists. */
  async createConsumerGroup(name: string): Promise<ConsumerGroup> {
    return expectBody(ConsumerGroupSchema, await this.rest.request({ method: 'PUT', path: pathOf('emulator', 'eventhub', 'consumergroups', name) }), 'consumer group');
  }

  /** Deletes a consumer group, detaching its readers; 404 NotFound when there is none. */
  async deleteConsumerGroup(name: string): Promise<void> {
    await this.rest.request({ method: 'DELETE', path: pathOf('emulator', 'eventhub', 'consumergroups', name) });
  }
}
