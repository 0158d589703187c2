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
