import type { InstallCommandV1, InstallStep } from '@lockstep/contracts';
import type { AppDirectory } from '../app/app-directory';
import type { UnpackLimits, UnpackResult } from '../archive/archive-unpacker';
import type { ConfigMigrator } from '../config/config-migrator';
import type { DownloadedArtifact } from '../download/artifact-downloader';
import type { HealthGate } from '../health/health-gate';
import type { MigrateHookRunner } from '../hooks/migrate-hook.runner';
import type { CommandJournal } from '../journal/command-journal';
import type { ServiceManager } from '../service-managers/service-manager';
import type { AgentLogger } from '../support/logger';

/** Called when a step starts (progress event + node state). */
export type StepReporter = (step: InstallStep, message?: string) => Promise<void>;

/** Limits the preflight and unpack steps enforce. */
export interface InstallLimits {
  minFreeDiskBytes: number;
  maxArtifactBytes: number;
  maxUnpackedBytes: number;
  maxEntries?: number;
  /** Longest an unpack may take; default DEFAULT_UNPACK_TIME_LIMIT_MS. */
  unpackTimeoutMs?: number;
  keepReleases: number;
}

/** Everything the pipeline works with; each is a repository owning its I/O. */
export interface InstallPipelineDeps {
  /** The clock a command's deadline is judged by (epoch ms; default Date.now). */
  now?: () => number;
  dir: AppDirectory;
  journal: CommandJournal;
  download(uri: string, path: string, maxBytes: number, signal: AbortSignal): Promise<DownloadedArtifact>;
  /**
   * Refuses, before anything is downloaded, an artifact the node's pinned anchor cannot vouch
   * for (e.g. an http(s) artifact on a TUF node with no AGENT_TUF_METADATA_URL); throws InstallStepError.
   */
  checkAnchor?(command: InstallCommandV1): void;
  /** Checks the artifact against the command and the TUF-signed metadata; throws InstallStepError. */
  verify(command: InstallCommandV1, artifact: DownloadedArtifact, signal: AbortSignal): Promise<void>;
  unpack(archive: string, dest: string, limits: UnpackLimits): Promise<UnpackResult>;
  config: ConfigMigrator;
  hook: MigrateHookRunner;
  app: ServiceManager;
  health: HealthGate;
  /**
   * Takes the pre-update backup of the node's targets (absent: the node's policy is off);
   * resolves with its id, throws when it fails — the install then stops before anything changes.
   */
  backup?(
    command: InstallCommandV1,
    backupId: string,
    previousVersion: string | null,
    report: (message: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Settles a pre-update backup whose agent died while taking it (completed if its manifest exists, else failed). */
  settleBackup?(command: InstallCommandV1, backupId: string, previousVersion: string | null): Promise<void>;
  /**
   * Refuses, before anything changes, a backup this node must not restore: one taken on
   * another node or for another component (throws a coded error, BACKUP_FOREIGN).
   */
  checkRestore?(backupId: string, command: InstallCommandV1): Promise<void>;
  /** Restores a backup of the node's targets into place (rollback --restore-data). */
  restoreData?(
    backupId: string,
    command: InstallCommandV1,
    report: (message: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Free bytes on the file system holding the app directory. */
  freeDisk(path: string): Promise<number>;
  limits: InstallLimits;
  logger: AgentLogger;
}
