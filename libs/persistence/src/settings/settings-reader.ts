import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  isSettingKey,
  parseSetting,
  settingDefault,
  settingValue,
  type SettingKey,
  type SettingValue,
  type SettingWireValue,
} from '@lockstep/contracts';
import { DataSource } from 'typeorm';

/** What a service reads settings through: {@link SettingsReader}, or {@link fixedSettings} in a spec. */
export interface SettingsSource {
  /** The value in force: the one set, else the registry's default (durations in milliseconds). */
  get<K extends SettingKey>(key: K): Promise<SettingValue<K>>;
  /** The value set, or undefined when none is (for a service whose own config gives the default). */
  override<K extends SettingKey>(key: K): Promise<SettingValue<K> | undefined>;
}

/** The reader's cache lifetime in milliseconds (at most 1000: a change is in force within a second). */
export const SETTINGS_CACHE_MS = Symbol('SETTINGS_CACHE_MS');
/** The reader's clock (milliseconds since the epoch). */
export const SETTINGS_CLOCK = Symbol('SETTINGS_CLOCK');

/** How long a read of the `settings` table is reused. */
export const DEFAULT_SETTINGS_CACHE_MS = 1000;

type Stored = Map<SettingKey, SettingWireValue<SettingKey>>;

/**
 * Reads the runtime settings (`settings` table) for any service. The whole table (a handful of
 * rows) is read at most once per cache lifetime, so a value set with `lockstep settings set` is
 * in force everywhere within a second, without a restart. A stored value the registry no longer
 * allows (its bounds narrowed) is ignored: the default applies. When Postgres cannot be read the
 * last values read stay in force (none read yet: the defaults), and it is tried again next time.
 */
@Injectable()
export class SettingsReader implements SettingsSource {
  private readonly logger = new Logger(SettingsReader.name);
  private readonly cacheMs: number;
  private readonly now: () => number;
  private cached?: { at: number; rows: Stored };
  private reading?: Promise<Stored>;

  constructor(
    private readonly ds: DataSource,
    @Optional() @Inject(SETTINGS_CACHE_MS) cacheMs?: number,
    @Optional() @Inject(SETTINGS_CLOCK) now?: () => number,
  ) {
    this.cacheMs = Math.min(cacheMs ?? DEFAULT_SETTINGS_CACHE_MS, DEFAULT_SETTINGS_CACHE_MS);
    this.now = now ?? Date.now;
  }

  async get<K extends SettingKey>(key: K): Promise<SettingValue<K>> {
    return (await this.override(key)) ?? settingDefault(key);
  }

  async override<K extends SettingKey>(key: K): Promise<SettingValue<K> | undefined> {
    const wire = (await this.rows()).get(key) as SettingWireValue<K> | undefined;
    return wire === undefined ? undefined : settingValue(key, wire);
  }

  private async rows(): Promise<Stored> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.rows;
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<Stored> {
    const at = this.now();
    try {
      const rows = await this.ds.query<Array<{ key: string; value: unknown }>>(`SELECT "key", "value" FROM "settings"`);
      const stored: Stored = new Map();
      for (const row of rows) {
        const value = this.valid(row.key, row.value);
        if (value !== undefined) stored.set(row.key as SettingKey, value);
      }
      this.cached = { at, rows: stored };
      return stored;
    } catch (err) {
      this.logger.warn(
        `cannot read the settings from PostgreSQL, keeping ${this.cached ? 'the last values read' : 'the defaults'}: ${(err as Error).message}`,
      );
      return this.cached?.rows ?? new Map();
    }
  }

  private valid(key: string, value: unknown): SettingWireValue<SettingKey> | undefined {
    if (!isSettingKey(key)) return undefined; // a setting a newer version knows
    try {
      return parseSetting(key, value);
    } catch (err) {
      this.logger.warn(`ignoring the stored ${key}, using its default: ${(err as Error).message}`);
      return undefined;
    }
  }
}

/** Settings that never change: the given values (durations in milliseconds), defaults for the rest. For specs and tools. */
export function fixedSettings(values: { [K in SettingKey]?: SettingValue<K> } = {}): SettingsSource {
  const override = <K extends SettingKey>(key: K) => Promise.resolve(values[key] as SettingValue<K> | undefined);
  return {
    override,
    get: async <K extends SettingKey>(key: K) => (await override(key)) ?? settingDefault(key),
  };
}
