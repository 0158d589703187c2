import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds the component a rollout or backup belongs to, for the access guard (one indexed read each). */
@Injectable()
export class AccessTargetsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The rollout's component; null when there is no such rollout. */
  async rolloutComponent(id: string): Promise<string | null> {
    if (!UUID.test(id)) return null;
    const rows: Array<{ component: string }> = await this.ds.query(
      `SELECT "component" FROM "rollouts" WHERE "id" = $1`,
      [id],
    );
    return rows[0]?.component ?? null;
  }

  /** The backup's component; null when there is no such backup. */
  async backupComponent(id: string): Promise<string | null> {
    const rows: Array<{ component: string }> = await this.ds.query(
      `SELECT "component" FROM "backups" WHERE "id" = $1`,
      [id],
    );
    return rows[0]?.component ?? null;
  }
}
