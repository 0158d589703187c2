import { Injectable } from '@nestjs/common';
import { Subjects, type AuditActor, type SettingsChangedV1 } from '@lockstep/contracts';
import { appendAudit, enqueueEvent } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** A value on the wire and in the `settings` table. */
export type WireValue = boolean | number | string;

/** One row of `settings`: a setting set away from its default. */
export interface SettingRecord {
  key: string;
  value: WireValue;
  updatedAt: Date;
  updatedBy: string;
}

/** Audit actions of setting changes. */
export const SettingAuditAction = { Set: 'settings.set', Reset: 'settings.reset' } as const;
export type SettingAuditAction = (typeof SettingAuditAction)[keyof typeof SettingAuditAction];

/** One change to write. */
export interface SettingChange {
  key: string;
  action: SettingAuditAction;
  /** The row's new value; null deletes the row (the default is then in force). */
  store: WireValue | null;
  /** The setting's default: the value in force when no row is stored. */
  default: WireValue;
  actor: AuditActor;
  at: Date;
}

interface SettingRow {
  key: string;
  value: WireValue;
  updated_at: Date;
  updated_by: string;
}

const toRecord = (r: SettingRow): SettingRecord => ({
  key: r.key,
  value: r.value,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

/** Arbitrary, fixed key of the advisory lock that serialises setting changes (so each reads the true "before"). */
const SETTINGS_LOCK_KEY = 7_365_720_001;
const SOURCE = '/lockstep/api';

/** `settings` in Postgres: the rows set away from their defaults, and changes with their audit record and event. */
@Injectable()
export class SettingsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The time a change is recorded at. */
  now(): Date {
    return new Date();
  }

  /** Every stored row. */
  async list(): Promise<SettingRecord[]> {
    const rows: SettingRow[] = await this.ds.query(`SELECT * FROM "settings" ORDER BY "key"`);
    return rows.map(toRecord);
  }

  /** The stored row of one key, if any. */
  async find(key: string): Promise<SettingRecord | null> {
    const rows: SettingRow[] = await this.ds.query(`SELECT * FROM "settings" WHERE "key" = $1`, [key]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Writes a change in ONE transaction: the row (stored or deleted), its audit record (params:
   * old and new value) and the `settings.changed` event in the outbox. Answers the row as it now
   * stands, and `changed: false` (nothing written) for a reset of a setting that held its default.
   */
  async change(c: SettingChange): Promise<{ record: SettingRecord | null; changed: boolean }> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock($1)`, [SETTINGS_LOCK_KEY]);
      const [found] = await m.query<SettingRow[]>(`SELECT * FROM "settings" WHERE "key" = $1`, [c.key]);
      if (c.store === null && !found) return { record: null, changed: false };
      const record = await this.store(m, c);
      const oldValue = found ? found.value : c.default;
      const newValue = c.store ?? c.default;
      await appendAudit(m, {
        actor: c.actor,
        action: c.action,
        target: c.key,
        params: { old: oldValue, new: newValue },
        at: c.at,
      });
      const event: SettingsChangedV1 = {
        key: c.key,
        oldValue,
        newValue,
        reset: c.action === SettingAuditAction.Reset,
        actorId: c.actor.id,
        actorName: c.actor.name,
      };
      await enqueueEvent(m, Subjects.SettingsChanged, event, { source: SOURCE, subject: c.key });
      return { record, changed: true };
    });
  }

  private async store(m: EntityManager, c: SettingChange): Promise<SettingRecord | null> {
    if (c.store === null) {
      await m.query(`DELETE FROM "settings" WHERE "key" = $1`, [c.key]);
      return null;
    }
    const [row] = await m.query<SettingRow[]>(
      `INSERT INTO "settings" ("key", "value", "updated_at", "updated_by") VALUES ($1, $2::jsonb, $3, $4)
       ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value", "updated_at" = EXCLUDED."updated_at",
       "updated_by" = EXCLUDED."updated_by"
       RETURNING *`,
      [c.key, JSON.stringify(c.store), c.at, c.actor.name],
    );
    return toRecord(row);
  }
}
