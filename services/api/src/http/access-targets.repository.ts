import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whose a backup is: the control plane's own databases, or one component (taken on its node). */
export type BackupOwner = { controlPlane: true } | { controlPlane: false; component: string };

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

  /**
   * The backup's owner; null when there is no such backup. A backup with no node was taken by the
   * backup service of the control plane's own databases (its component is BACKUP_COMPONENT, e.g.
   * `lockstep`, a name any narrowed token could be given): it belongs to no component, so only a
   * token that is not narrowed may verify or restore it.
   */
  async backupOwner(id: string): Promise<BackupOwner | null> {
    const rows: Array<{ component: string; node_id: string | null }> = await this.ds.query(
      `SELECT "component", "node_id" FROM "backups" WHERE "id" = $1`,
      [id],
    );
    if (!rows[0]) return null;
    return rows[0].node_id === null ? { controlPlane: true } : { controlPlane: false, component: rows[0].component };
  }
}
