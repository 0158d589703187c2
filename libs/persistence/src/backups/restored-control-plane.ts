import { systemActor } from '@lockstep/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { appendAudit } from '../audit/audit-log';

/** Rollout states a conductor would pick up and carry on (the scheduler's ACTIVE_ROLLOUT_STATES). */
const ACTIVE_ROLLOUT_STATES = ['planned', 'running', 'paused'] as const;

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * SQL that makes a restored copy of Lockstep's own database never resume the past, run in
 * the same transaction as the restore (DatabaseRestoreRequest.finalSql), so no relay or
 * conductor ever sees the restored state without it:
 *
 * - rollouts that were active when the backup was taken come back `aborted`, with a reason
 *   naming the backup (nodes are not sent the commands of a rollout that ended long ago);
 * - the outbox's rows are deleted: their events were published when they were written;
 * - backup operations still queued or running in the backup are recorded failed (their
 *   commands went with the outbox).
 *
 * Names are schema-qualified (a dump's script empties `search_path`); tables a backup from
 * an older schema lacks are skipped.
 */
export function restoredControlPlaneSql(backupId: string): string {
  const reason = literal(
    `aborted by the restore of backup ${backupId}: it was active when the backup was taken, and a restored control plane does not resume the past. Start a new rollout if it is still wanted.`,
  );
  const operationError = literal(
    `not run: the control plane's database was restored from backup ${backupId}, taken while this operation was waiting. Request it again if it is still wanted.`,
  );
  const active = ACTIVE_ROLLOUT_STATES.map(literal).join(', ');
  return `DO $lockstep_restore$
BEGIN
  IF to_regclass('public.rollouts') IS NOT NULL THEN
    UPDATE public.rollouts SET state = 'aborted', reason = ${reason}, finished_at = now(), updated_at = now()
      WHERE state IN (${active});
  END IF;
  IF to_regclass('public.outbox') IS NOT NULL THEN
    DELETE FROM public.outbox;
  END IF;
  IF to_regclass('public.backup_operations') IS NOT NULL THEN
    UPDATE public.backup_operations SET state = 'failed', error = ${operationError}, finished_at = now()
      WHERE state IN ('queued', 'running');
  END IF;
END
$lockstep_restore$;`;
}

/**
 * Tables an in-place restore of Lockstep's own database leaves as they are now: the tokens
 * (a token revoked after the backup must stay revoked, one created after it must still work)
 * and the audit trail with its head (the record of what happened since the backup is kept,
 * never rewound). Schema-qualified, as pg_restore lists them.
 */
export const CONTROL_PLANE_LIVE_TABLES = ['public.api_tokens', 'public.audit_log', 'public.audit_head'] as const;

/** The audit action recorded when Lockstep's own database was restored (a wire name: stored and shown as is). */
export const CONTROL_PLANE_RESTORED_ACTION = 'backup.restored-control-plane';

/** What a restore of Lockstep's own database did, as recorded in the audit trail. */
export interface ControlPlaneRestored {
  /** The backup restored from. */
  backupId: string;
  /** The database the backup holds. */
  database: string;
  /** The database restored into (the live one, or a new copy). */
  target: string;
  /** `replace` (in place) or `new` (a copy next to it). */
  mode: 'replace' | 'new';
  /** Schema-qualified tables left out of the restore (kept as they were). */
  leftOut: readonly string[];
}

/**
 * What the backup service needs to restore Lockstep's own database (ControlPlaneDatabase of
 * @lockstep/backup-jobs, without its URL): the fix-up SQL run in the restore's transaction, the
 * live tables an in-place restore leaves out, and the audit record appended once it committed.
 */
export function controlPlaneRestore(ds: DataSource): {
  finalSql(backupId: string): string;
  keepTables: readonly string[];
  restored(what: ControlPlaneRestored): Promise<void>;
} {
  return {
    finalSql: restoredControlPlaneSql,
    keepTables: CONTROL_PLANE_LIVE_TABLES,
    restored: (what) => recordControlPlaneRestore(ds.manager, what),
  };
}

/**
 * Appends the record of a restore of Lockstep's own database on top of the live chain. It runs
 * right after the restore's COMMIT, not inside it: the restore's transaction is a psql script,
 * and a record's hash is SHA-256 over canonical JSON computed here (appendAudit), which SQL in
 * that script cannot reproduce byte for byte. The chain itself was never part of the restore.
 */
export async function recordControlPlaneRestore(manager: EntityManager, what: ControlPlaneRestored): Promise<void> {
  await appendAudit(manager, {
    actor: systemActor('backup'),
    action: CONTROL_PLANE_RESTORED_ACTION,
    target: what.backupId,
    params: { database: what.database, target: what.target, mode: what.mode, leftOut: [...what.leftOut] },
  });
}
