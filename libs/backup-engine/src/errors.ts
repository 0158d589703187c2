import { BackupRestoreRefusal, CodedError } from '@lockstep/contracts';

/** Error codes raised by the backup engine. */
export const BackupErrorCode = {
  WrongKey: 'BACKUP_WRONG_KEY',
  KeyRequired: 'BACKUP_KEY_REQUIRED',
  KeyNotExpected: 'BACKUP_KEY_NOT_EXPECTED',
  Corrupted: 'BACKUP_CORRUPTED',
  UnsafePath: 'BACKUP_UNSAFE_PATH',
  NotFound: 'BACKUP_NOT_FOUND',
  Compression: 'BACKUP_COMPRESSION_FAILED',
  ExternalCommand: 'BACKUP_EXTERNAL_COMMAND_FAILED',
  /** The request itself is wrong (bad prefix, overlapping roots, bad policy...); nothing was done. */
  InvalidRequest: 'BACKUP_INVALID_REQUEST',
  /** A directory to back up does not exist or is not a directory. */
  SourceMissing: 'BACKUP_SOURCE_MISSING',
  /** A restored tree could not be moved into place (e.g. its parent is read-only), or an interrupted in-place restore left entries to sort out first; the old targets were kept. */
  SwapFailed: 'BACKUP_RESTORE_SWAP_FAILED',
  /** An in-place restore failed and could not put the old state back either; its journal is kept for the next restore or agent start to finish. */
  RestoreIncomplete: 'BACKUP_RESTORE_INCOMPLETE',
  /** A restore `--to` a directory that holds something (or is not a directory): refused, nothing in it was changed. */
  RestoreTargetNotEmpty: BackupRestoreRefusal.TargetNotEmpty,
  /** A restore in place was to keep live tables that the backup's dump does not hold (it predates them): refused, nothing was changed. */
  KeptTableMissing: 'BACKUP_RESTORE_KEPT_TABLE_MISSING',
  /** The caller aborted the operation; nothing was committed. */
  Aborted: 'BACKUP_ABORTED',
} as const;
export type BackupErrorCode = (typeof BackupErrorCode)[keyof typeof BackupErrorCode];

/** A backup, verify or restore that cannot go on; `code` says which kind. */
export class BackupEngineError extends CodedError<BackupErrorCode> {
  override name = 'BackupEngineError';
}

/** The passphrase does not open this repository. */
export class WrongKeyError extends BackupEngineError {
  override name = 'WrongKeyError';
  constructor(what: string, options?: { cause?: unknown }) {
    super(
      BackupErrorCode.WrongKey,
      `wrong backup key: ${what} cannot be decrypted with the given passphrase. Use the passphrase the repository was created with.`,
      options,
    );
  }
}

/** A backup failed verification; `corruptedPacks` names the damaged pack objects. */
export class BackupCorruptedError extends BackupEngineError {
  override name = 'BackupCorruptedError';
  constructor(
    readonly backupId: string,
    readonly corruptedPacks: string[],
    readonly problems: string[],
  ) {
    super(
      BackupErrorCode.Corrupted,
      `backup ${backupId} is corrupted (${problems.length} problem(s); packs: ${corruptedPacks.join(', ') || 'none'}). Restore another backup; this one cannot be trusted.`,
    );
  }
}

/** A manifest entry would land outside the restore target. */
export class UnsafePathError extends BackupEngineError {
  override name = 'UnsafePathError';
  constructor(path: string, reason: string, hint = 'The manifest is damaged or was not written by Lockstep.') {
    super(BackupErrorCode.UnsafePath, `refusing to restore ${JSON.stringify(path)}: ${reason}. ${hint}`);
  }
}

/** The compressor itself failed on this host (could not start, was killed): says nothing about the data it was given. */
export class CompressorUnavailableError extends BackupEngineError {
  override name = 'CompressorUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(BackupErrorCode.Compression, message, options);
  }
}

/** The caller's AbortSignal fired during a backup; no manifest was written, so no backup exists. */
export class BackupAbortedError extends BackupEngineError {
  override name = 'BackupAbortedError';
  constructor(
    readonly backupId: string,
    options?: { cause?: unknown },
  ) {
    super(
      BackupErrorCode.Aborted,
      `backup ${backupId} was cancelled before it completed; no backup was recorded. Start it again when ready; packs it already uploaded are reused or removed by the next prune.`,
      options,
    );
  }
}

/** An outside program (pg_dump, pg_restore, createdb...) could not start or exited non-zero. */
export class ExternalCommandError extends BackupEngineError {
  override name = 'ExternalCommandError';
  constructor(
    /** Program name, e.g. `pg_dump`. */
    readonly command: string,
    /** Exit code, or null when it could not start or was killed. */
    readonly exitCode: number | null,
    /** Tail of its standard error. */
    readonly stderr: string,
    /** What the operator should do next. */
    hint: string,
    options?: { cause?: unknown },
  ) {
    const what = exitCode === null ? 'could not run' : `failed with exit code ${exitCode}`;
    super(BackupErrorCode.ExternalCommand, `${command} ${what}${stderr ? `: ${stderr}` : ''}. ${hint}`, options);
  }
}
