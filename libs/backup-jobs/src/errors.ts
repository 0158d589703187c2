import { BackupErrorCode } from '@lockstep/backup-engine';
import { BackupRestoreRefusal, CodedError, type BackupRecordV1 } from '@lockstep/contracts';
import type { FleetLockErrorCode } from '@lockstep/fleet-lock';
import type { StorageErrorCode } from '@lockstep/storage';

/** Error codes raised by the backup jobs (stable: logs and the agent's install pipeline match them). */
export const BackupJobErrorCode = {
  /** A backup failed with an error that carries no code of its own. */
  Failed: 'BACKUP_FAILED',
  /** The backup is recorded corrupted, or turned out to be; nothing was restored (the engine's code). */
  Corrupted: BackupErrorCode.Corrupted,
  /** The backup type selects nothing on this host. */
  NothingSelected: 'BACKUP_NOTHING_SELECTED',
  /** A prune holds the repository (or another host opens it, or the operation already runs elsewhere). */
  RepositoryBusy: 'BACKUP_REPOSITORY_BUSY',
  /** The backup holds none of the part asked to restore. */
  PartMissing: 'BACKUP_PART_MISSING',
  /** The backup holds a database this host has no URL for. */
  DatabaseUnknown: 'BACKUP_DATABASE_UNKNOWN',
  /** A node agent was asked to restore a backup taken on another node or for another component; nothing was changed. */
  Foreign: BackupRestoreRefusal.Foreign,
  /** A restore failed after some database was restored already: nothing can undo that. */
  RestorePartial: 'BACKUP_RESTORE_PARTIAL',
} as const;
export type BackupJobErrorCode = (typeof BackupJobErrorCode)[keyof typeof BackupJobErrorCode];

/**
 * Code of a BackupJobError: one of its own, or, for a failed backup, the code of the error that
 * made it fail (the engine's, the object store's or the lock's).
 */
export type BackupJobFailureCode = BackupJobErrorCode | BackupErrorCode | StorageErrorCode | FleetLockErrorCode;

/** A job failed; `backup` is the catalogue entry as recorded (failed or corrupted), when there is one. */
export class BackupJobError extends CodedError<BackupJobFailureCode> {
  override name = 'BackupJobError';
  constructor(
    code: BackupJobFailureCode,
    message: string,
    readonly backup?: BackupRecordV1,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
