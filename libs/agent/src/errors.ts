import { BackupRestoreRefusal, CodedError, type InstallStep } from '@lockstep/contracts';

/**
 * Why an install step failed; the code starts the `error` text of `install.finished` events.
 * (Why a command was refused before anything was done: CommandRefusal in contracts.)
 */
export const AgentErrorCode = {
  NotEnoughDisk: 'NOT_ENOUGH_DISK',
  ArtifactTooLarge: 'ARTIFACT_TOO_LARGE',
  DownloadFailed: 'DOWNLOAD_FAILED',
  ArtifactMismatch: 'ARTIFACT_MISMATCH',
  TufUnavailable: 'TUF_UNAVAILABLE',
  TufExpired: 'TUF_METADATA_EXPIRED',
  TufRollback: 'TUF_METADATA_ROLLBACK',
  TufBadSignature: 'TUF_BAD_SIGNATURE',
  TufBadMetadata: 'TUF_BAD_METADATA',
  TufTargetMismatch: 'TUF_TARGET_MISMATCH',
  TufUnknownTarget: 'TUF_UNKNOWN_TARGET',
  TufNotConfigured: 'TUF_NOT_CONFIGURED',
  /** The root.json kept in the state directory does not chain from the pinned root (swapped or tampered with). */
  TufRootChainBroken: 'TUF_ROOT_CHAIN_BROKEN',
  /** The npm registry could not be asked for the version's signed metadata. */
  NpmRegistryUnavailable: 'NPM_REGISTRY_UNAVAILABLE',
  /** The registry publishes no integrity or no signature by a pinned key for the version. */
  NpmSignatureMissing: 'NPM_SIGNATURE_MISSING',
  /** A signature by a pinned key does not verify, or the artifact does not match the signed integrity. */
  NpmSignatureInvalid: 'NPM_SIGNATURE_INVALID',
  UnsafeArchive: 'UNSAFE_ARCHIVE',
  ArchiveTooLarge: 'ARCHIVE_TOO_LARGE',
  ArchiveCorrupt: 'ARCHIVE_CORRUPT',
  /** Unpacking took longer than AGENT_UNPACK_TIMEOUT (a stalled disk or a pathological archive). */
  UnpackTimedOut: 'UNPACK_TIMED_OUT',
  ConfigInvalid: 'CONFIG_INVALID',
  HookFailed: 'MIGRATE_HOOK_FAILED',
  BackupFailed: 'BACKUP_FAILED',
  /** A restore named a backup taken on another node or for another component; refused before anything changed. */
  BackupForeign: BackupRestoreRefusal.Foreign,
  SwapFailed: 'SWAP_FAILED',
  /** The command's deadline passed before its swap: the rollout gave up on this node; nothing changed. */
  DeadlinePassed: 'COMMAND_DEADLINE_PASSED',
  RestartFailed: 'RESTART_FAILED',
  HealthGateFailed: 'HEALTH_GATE_FAILED',
  Interrupted: 'INTERRUPTED',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

/** A failure of one install step. The message says what went wrong and what to look at. */
export class InstallStepError extends CodedError<AgentErrorCode> {
  override name = 'InstallStepError';
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown; step?: InstallStep }) {
    super(code, message, options);
    this.step = options?.step;
  }
  /** Step that failed (filled in by the pipeline when the thrower does not know it). */
  step?: InstallStep;

  /** `CODE: message`, as carried in `install.finished.error`. */
  describe(): string {
    return `${this.code}: ${this.message}`;
  }
}

/** Text of any error for an event: InstallStepError as `CODE: message`, others by message. */
export const describeError = (err: unknown): string =>
  err instanceof InstallStepError ? err.describe() : ((err as Error)?.message ?? String(err));
