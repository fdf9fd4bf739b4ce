import type { Collection } from '../store/collection.js';
import type { StoredConfiguration, TwinLedger } from './configuration-schemas.js';

/** Configurations and the per-twin ledgers, behind the store's `configurations` and `configurationLedger` collections. */
export class ConfigurationRepository {
  constructor(
    private readonly configurations: Collection<StoredConfiguration>,
    private readonly ledgers: Collection<TwinLedger>,
  ) {}

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
}
