import { formatTimestamp, type Fault, type FaultAction, type FaultDefinition, type FaultOperation } from '@hubemu/shared';

/** One operation as a plane presents it to the admission seam. */
export interface AdmissionRequest {
  operation: FaultOperation;
  /** With `http`: the route as the request event names it (`PATCH /twins/:deviceId`). */
  route?: string;
  deviceId?: string;
  moduleId?: string;
  /** Request size, for byte-metered throttles (direct methods). */
  bytes?: number;
  /** How many messages it carries (a device HTTPS batch), for message-metered throttles (D2C sends); one when absent. */
  messages?: number;
}

/** What a fault does to the one operation it matched. */
export interface FaultHit {
  fault: Fault;
  action: FaultAction;
  /** `pause`: keeps a held delivery until the fault is removed, then runs it (in order). */
  hold: (release: () => void) => void;
}

interface Entry {
  fault: Fault;
  device: RegExp | undefined;
  route: RegExp | undefined;
  expiresAtMs: number | undefined;
  random: (() => number) | undefined;
  /** Operations a `disconnect ... afterOperations` fault has let through. */
  passed: number;
  held: Array<() => void>;
}

/** `*` matches any run of characters; everything else is literal. */
export function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** mulberry32: a small seeded generator, so a `share` fault hits the same operations on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The faults in force and how they match operations: by operation, route and device pattern, within
 * their count, share and duration; the first added that matches acts. Pure: time is passed in, the
 * share's randomness is seeded. A fault stays listed (with how often it acted) until removed.
 */
export class FaultTable {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  add(definition: FaultDefinition & { id: string }, nowMs: number): Fault {
    const expiresAtMs = definition.forMs === undefined ? undefined : nowMs + definition.forMs;
    const { id, ...rest } = definition;
    const fault: Fault = { id, ...rest, createdAt: formatTimestamp(nowMs), ...(expiresAtMs === undefined ? {} : { expiresAt: formatTimestamp(expiresAtMs) }), applied: 0 };
    this.entries.set(definition.id, {
      fault,
      device: definition.device === undefined ? undefined : globPattern(definition.device),
      route: definition.route === undefined ? undefined : globPattern(definition.route),
      expiresAtMs,
      random: definition.share === undefined ? undefined : seededRandom(definition.seed ?? Math.floor(Math.random() * 2 ** 32)),
      passed: 0,
      held: [],
    });
    return fault;
  }

  list(): Fault[] {
    return [...this.entries.values()].map((e) => ({ ...e.fault }));
  }

  /** Whether an identity falls under a fault's device pattern. */
  covers(id: string, deviceId: string): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && (entry.device === undefined || entry.device.test(deviceId));
  }

  /** Removes a fault; returns the deliveries it held (to run, in order), or undefined when there is no such fault. */
  remove(id: string): Array<() => void> | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    return entry.held;
  }

  /** The first fault in force that takes this operation, counted as applied. */
  match(request: AdmissionRequest, nowMs: number): FaultHit | undefined {
    for (const entry of this.entries.values()) {
      const { fault } = entry;
      if (fault.operation !== request.operation) continue;
      if (entry.route && (request.route === undefined || !entry.route.test(request.route))) continue;
      if (entry.device && (request.deviceId === undefined || !entry.device.test(request.deviceId))) continue;
      if (entry.expiresAtMs !== undefined && nowMs >= entry.expiresAtMs) continue;
      if (fault.count !== undefined && fault.applied >= fault.count) continue;
      if (entry.random && entry.random() >= (fault.share ?? 1)) continue;
      if (fault.afterOperations !== undefined && entry.passed < fault.afterOperations) {
        entry.passed++;
        continue;
      }
      fault.applied++;
      return { fault: { ...fault }, action: fault.action, hold: (release) => void entry.held.push(release) };
    }
    return undefined;
  }
}
