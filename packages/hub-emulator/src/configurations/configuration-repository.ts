import type { Collection } from '../store/collection.js';
import type { ConfigurationResults, StoredConfiguration, TwinLedger } from './configuration-schemas.js';

/** Where the creation counter is kept in the `meta` collection. */
const SEQUENCE_KEY = 'configurationSequence';
/** Where the last pass's metrics are kept for the other processes of a cluster. */
const RESULTS_KEY = 'configurationResults';

/** The creation numbers a ledger signature (`id#sequence|...`) mentions. */
function sequencesIn(sig: string | undefined): number[] {
  if (!sig) return [];
  return sig.split('|').map((part) => Number(part.slice(part.lastIndexOf('#') + 1))).filter((n) => Number.isSafeInteger(n));
}

/**
 * Configurations, the per-twin ledgers and the creation counter, behind the store's `configurations`,
 * `configurationLedger` and `meta` collections.
 */
export class ConfigurationRepository {
  constructor(
    private readonly configurations: Collection<StoredConfiguration>,
    private readonly ledgers: Collection<TwinLedger>,
    private readonly meta: Collection<string>,
  ) {}

  /**
   * The next creation number. It only ever increases, and is kept in the store (so across restarts):
   * a configuration deleted and created again with the same id is another configuration, and the
   * ledgers that name the old one (`id#sequence`) never match the new one. A store written before the
   * counter existed starts it above every number its configurations and ledgers use.
   */
  nextSequence(): number {
    const stored = Number(this.meta.get(SEQUENCE_KEY));
    let last = Number.isSafeInteger(stored) && stored > 0 ? stored : 0;
    if (last === 0) {
      for (const configuration of this.configurations.values()) last = Math.max(last, configuration.sequence);
      for (const ledger of this.ledgers.values()) for (const n of sequencesIn(ledger.sig)) last = Math.max(last, n);
    }
    const next = last + 1;
    this.meta.put(SEQUENCE_KEY, String(next));
    return next;
  }

  get(id: string): StoredConfiguration | undefined {
    return this.configurations.get(id);
  }

  all(): StoredConfiguration[] {
    return [...this.configurations.values()];
  }

  get count(): number {
    return this.configurations.size;
  }

  put(configuration: StoredConfiguration): void {
    this.configurations.put(configuration.id, configuration);
  }

  delete(id: string): boolean {
    return this.configurations.delete(id);
  }

  /** Twin keys (`deviceId` or `deviceId/moduleId`) some configuration touched. */
  ledgerKeys(): string[] {
    return [...this.ledgers.keys()];
  }

  ledger(key: string): TwinLedger | undefined {
    return this.ledgers.get(key);
  }

  putLedger(key: string, ledger: TwinLedger): void {
    this.ledgers.put(key, ledger);
  }

  deleteLedger(key: string): void {
    this.ledgers.delete(key);
  }

  /** The metrics of the last pass, as the process that ran it saved them (a cluster's leader); empty when none. */
  sharedResults(): Map<string, ConfigurationResults> {
    const raw = this.meta.get(RESULTS_KEY);
    if (raw === undefined) return new Map();
    try {
      return new Map(Object.entries(JSON.parse(raw) as Record<string, ConfigurationResults>));
    } catch {
      return new Map();
    }
  }

  saveResults(results: ReadonlyMap<string, ConfigurationResults>): void {
    this.meta.put(RESULTS_KEY, JSON.stringify(Object.fromEntries(results)));
  }
}
