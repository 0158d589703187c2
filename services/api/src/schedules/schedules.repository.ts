import { appendAudit, type AuditRecordInput } from '@lockstep/persistence';
import { Injectable } from '@nestjs/common';
import type { MaintenanceWindowSpecV1, ScheduleSpecV1 } from '@lockstep/contracts';
import { DataSource } from 'typeorm';

/** What schedules and windows have in common: a unique name, a spec, the components covered, on or off. */
interface NamedRecord<Spec> {
  id: string;
  name: string;
  spec: Spec;
  /** Empty: every component. */
  components: string[];
  enabled: boolean;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

/** One row of `update_schedules`. */
export interface ScheduleRecord extends NamedRecord<ScheduleSpecV1> {
  /** Empty: every update class. */
  classes: string[];
}

/** One row of `maintenance_windows`. */
export interface WindowRecord extends NamedRecord<MaintenanceWindowSpecV1> {
  /** Empty: every node. */
  nodeLabels: Record<string, string>;
}

/** One row of `schedule_runs` (written by the schedule engine). */
export interface ScheduleRunRecord {
  scheduleId: string;
  dueAt: Date;
  firedAt: Date;
  outcome: string;
  rolloutIds: string[];
  detail: string;
}

/** The two tables of named objects and how a row of each reads. */
const TABLES = {
  schedule: {
    table: 'update_schedules',
    extra: 'classes',
    toRecord: (r: Row): ScheduleRecord => ({ ...common<ScheduleSpecV1>(r), classes: r.classes as string[] }),
  },
  window: {
    table: 'maintenance_windows',
    extra: 'node_labels',
    toRecord: (r: Row): WindowRecord => ({
      ...common<MaintenanceWindowSpecV1>(r),
      nodeLabels: r.node_labels as Record<string, string>,
    }),
  },
} as const;
type Kind = keyof typeof TABLES;
type RecordOf<K extends Kind> = ReturnType<(typeof TABLES)[K]['toRecord']>;

type Row = Record<string, unknown>;
const common = <Spec>(r: Row): NamedRecord<Spec> => ({
  id: r.id as string,
  name: r.name as string,
  spec: r.spec as Spec,
  components: r.components as string[],
  enabled: r.enabled as boolean,
  createdAt: r.created_at as Date,
  createdBy: r.created_by as string,
  updatedAt: r.updated_at as Date,
});

/** A schedule or window to store. */
export type NewRecord<K extends Kind> = Omit<RecordOf<K>, 'createdAt' | 'updatedAt'>;

/**
 * `update_schedules` and `maintenance_windows` in Postgres (every change with its audit record in
 * the same transaction), and the runs the schedule engine recorded in `schedule_runs`.
 */
@Injectable()
export class SchedulesRepository {
  constructor(private readonly ds: DataSource) {}

  /** Every schedule or window, by name. */
  async list<K extends Kind>(kind: K): Promise<Array<RecordOf<K>>> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM "${TABLES[kind].table}" ORDER BY "name"`);
    return rows.map((r) => TABLES[kind].toRecord(r) as RecordOf<K>);
  }

  /** One by name, or null. */
  async find<K extends Kind>(kind: K, name: string): Promise<RecordOf<K> | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM "${TABLES[kind].table}" WHERE "name" = $1`, [name]);
    return rows[0] ? (TABLES[kind].toRecord(rows[0]) as RecordOf<K>) : null;
  }

  /** Stores a schedule or window and its audit record; `taken` (nothing stored) when the name is in use. */
  async insert<K extends Kind>(kind: K, record: NewRecord<K>, audit: AuditRecordInput): Promise<RecordOf<K> | 'taken'> {
    const { table, extra } = TABLES[kind];
    const extraValue =
      'classes' in record ? record.classes : JSON.stringify((record as NewRecord<'window'>).nodeLabels);
    return this.ds.transaction(async (manager) => {
      const rows: Row[] = await manager.query(
        `INSERT INTO "${table}" ("id", "name", "spec", "components", "${extra}", "enabled", "created_by", "created_at", "updated_at")
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $8)
         ON CONFLICT ("name") DO NOTHING RETURNING *`,
        [
          record.id,
          record.name,
          JSON.stringify(record.spec),
          record.components,
          extraValue,
          record.enabled,
          record.createdBy,
          audit.at ?? new Date(),
        ],
      );
      if (!rows[0]) return 'taken';
      await appendAudit(manager, audit);
      return TABLES[kind].toRecord(rows[0]) as RecordOf<K>;
    });
  }

  /** Turns one on or off (with its audit record); null when there is none of that name. */
  async setEnabled<K extends Kind>(
    kind: K,
    name: string,
    enabled: boolean,
    audit: AuditRecordInput,
  ): Promise<RecordOf<K> | null> {
    return this.ds.transaction(async (manager) => {
      // TypeORM answers an UPDATE … RETURNING as [rows, affected count].
      // A schedule turned on again (not one already on) starts afresh where the scheduler next
      // sees it: the runs due while it was off were not missed, they were not wanted
      // (first_seen_at, see the migration). In SET, "enabled" is the value before the update.
      const restart =
        kind === 'schedule' && enabled
          ? `, "first_seen_at" = CASE WHEN "enabled" THEN "first_seen_at" ELSE NULL END`
          : '';
      const [rows]: [Row[], number] = await manager.query(
        `UPDATE "${TABLES[kind].table}" SET "enabled" = $2, "updated_at" = $3${restart}
         WHERE "name" = $1 RETURNING *`,
        [name, enabled, audit.at ?? new Date()],
      );
      if (!rows[0]) return null;
      await appendAudit(manager, audit);
      return TABLES[kind].toRecord(rows[0]) as RecordOf<K>;
    });
  }

  /** Deletes one (a schedule's runs go with it) with its audit record; null when there is none of that name. */
  async remove<K extends Kind>(kind: K, name: string, audit: AuditRecordInput): Promise<RecordOf<K> | null> {
    return this.ds.transaction(async (manager) => {
      const [rows]: [Row[], number] = await manager.query(
        `DELETE FROM "${TABLES[kind].table}" WHERE "name" = $1 RETURNING *`,
        [name],
      );
      if (!rows[0]) return null;
      await appendAudit(manager, { ...audit, params: { ...audit.params, spec: rows[0].spec } });
      return TABLES[kind].toRecord(rows[0]) as RecordOf<K>;
    });
  }

  /** The last `perSchedule` recorded runs of each schedule, newest first. */
  async lastRuns(scheduleIds: string[], perSchedule: number): Promise<Map<string, ScheduleRunRecord[]>> {
    const runs = new Map<string, ScheduleRunRecord[]>(scheduleIds.map((id) => [id, []]));
    if (!scheduleIds.length) return runs;
    const rows: Row[] = await this.ds.query(
      `SELECT r.* FROM unnest($1::uuid[]) AS s(id)
       CROSS JOIN LATERAL (
         SELECT * FROM "schedule_runs" WHERE "schedule_id" = s.id ORDER BY "due_at" DESC LIMIT $2
       ) r`,
      [scheduleIds, perSchedule],
    );
    for (const r of rows)
      runs.get(r.schedule_id as string)?.push({
        scheduleId: r.schedule_id as string,
        dueAt: r.due_at as Date,
        firedAt: r.fired_at as Date,
        outcome: r.outcome as string,
        rolloutIds: r.rollout_ids as string[],
        detail: r.detail as string,
      });
    return runs;
  }
}
