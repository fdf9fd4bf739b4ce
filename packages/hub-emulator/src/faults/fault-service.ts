import { HubError, parseFaultDefinition, parseIdentityKey, type Fault, type HubClock, type Timer } from '@hubemu/shared';
import type { DeviceLinks } from '../device-link.js';
import type { FaultTable } from './fault-table.js';

/**
 * Adding, listing and clearing faults: the one implementation behind `/emulator/faults`, `hubemu
 * emulator fault` and `hub.faults`. Definitions are parsed here (400 naming the field). A fault with
 * `forMs` is removed when it ends by the hub's clock; removing a fault releases the desired notifications it paused, in order.
 */
export class FaultService {
  private readonly timers = new Map<string, Timer>();
  private nextId = 1;

  constructor(
    private readonly table: FaultTable,
    private readonly clock: HubClock,
    private readonly links: DeviceLinks,
  ) {}

  add(input: unknown): Fault {
    const definition = parseFaultDefinition(input);
    let id = definition.id;
    if (id === undefined) {
      do id = `fault-${this.nextId++}`;
      while (this.table.has(id));
    } else if (this.table.has(id)) {
      throw new HubError('ArgumentInvalid', `A fault with id '${id}' is already in force. Clear it first or pick another id.`);
    }
    const fault = this.table.add({ ...definition, id }, this.clock.now());
    if (definition.forMs !== undefined) {
      const faultId = id;
      this.timers.set(id, this.clock.after(definition.forMs, () => this.remove(faultId)));
    }
    // "Disconnect now": the devices it covers that are connected go at once (later operations go too).
    if (definition.action === 'disconnect' && definition.afterOperations === undefined) {
      for (const key of this.links.connectedKeys()) {
        if (this.table.covers(id, parseIdentityKey(key).deviceId)) this.links.disconnect(key);
      }
    }
    return fault;
  }

  list(): Fault[] {
    return this.table.list();
  }

  /** Removes one fault (404 when there is none by that id) or, without an id, all of them; returns how many went. */
  clear(id?: string): number {
    if (id !== undefined) {
      if (!this.remove(id)) throw new HubError('NotFound', `No fault with id '${id}' is in force.`);
      return 1;
    }
    const ids = this.table.list().map((f) => f.id);
    for (const each of ids) this.remove(each);
    return ids.length;
  }

  private remove(id: string): boolean {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
    const held = this.table.remove(id);
    if (!held) return false;
    for (const release of held) release();
    return true;
  }
}
