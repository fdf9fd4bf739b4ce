import { DeviceClientError, isDeviceClientError } from '../errors.js';
import type { MqttConnection } from './mqtt-connection.js';

const isC2dFilter = (filter: string): boolean => filter.endsWith('/messages/devicebound/#');

/**
 * The `$iothub` filters a client wants and the ones made on the current connection. Filters are subscribed
 * when first needed, at QoS 0 like Node's SDK (C2D at QoS 1, as it does too), and all restored in one SUBSCRIBE on every new connection.
 */
export class Subscriptions {
  private readonly wanted = new Set<string>();
  private made = new Map<string, Promise<void>>();

  constructor(private readonly deviceId: string) {}

  /** Forgets what was made on the previous connection (the wanted set stays). */
  reset(): void {
    this.made = new Map();
  }

  /** Wants `filter`; subscribes on `connection` if there is one and it is not made yet. */
  async ensure(filter: string, connection: MqttConnection | undefined): Promise<void> {
    this.wanted.add(filter);
    if (!connection) return; // made on the next connect
    let pending = this.made.get(filter);
    if (!pending) {
      const attempt = this.subscribe(connection, [filter]);
      pending = attempt;
      this.made.set(filter, attempt);
      attempt.catch(() => {
        if (this.made.get(filter) === attempt) this.made.delete(filter);
      });
    }
    await pending;
  }

  /**
   * One SUBSCRIBE for everything wanted (as the C SDK does). A refused filter is returned (to be reported)
   * rather than thrown; a lost connection throws.
   */
  async restore(connection: MqttConnection): Promise<DeviceClientError | undefined> {
    const filters = [...this.wanted];
    if (filters.length === 0) return undefined;
    const all = this.subscribe(connection, filters);
    for (const filter of filters) this.made.set(filter, all);
    try {
      await all;
      return undefined;
    } catch (error) {
      if (!isDeviceClientError(error, 'HubError')) throw error;
      for (const filter of filters) this.made.delete(filter);
      return error;
    }
  }

  private async subscribe(connection: MqttConnection, filters: readonly string[]): Promise<void> {
    // Cloud-to-device messages are subscribed at QoS 1, as Node's SDK does (their PUBACK completes them); the rest at QoS 0.
    const c2d = filters.filter(isC2dFilter);
    const others = filters.filter((f) => !isC2dFilter(f));
    const grants = await Promise.all([others.length > 0 ? connection.subscribe(others, 0) : [], c2d.length > 0 ? connection.subscribe(c2d, 1) : []]);
    const granted = [...grants[0], ...grants[1]];
    const refused = [...others, ...c2d].filter((_, i) => granted[i] === undefined || granted[i] === 128);
    if (refused.length > 0) {
      throw new DeviceClientError('HubError', `The hub refused the subscription to ${refused.join(', ')}.`, { deviceId: this.deviceId });
    }
  }
}
