import { BackupJobErrorCode } from '@lockstep/backup-jobs';
import type { InstallCommandV1, InstallStep } from '@lockstep/contracts';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { DownloadedArtifact } from '../download/artifact-downloader';
import { AgentErrorCode, describeError, InstallStepError } from '../errors';
import type { JournalEntry } from '../journal/command-journal';
import type { InstallPipelineDeps, StepReporter } from './install.types';

/**
 * The steps of one install command up to and including the swap of `current`, each journaled
 * and reported as it starts: preflight → pre-update backup → download, verify and unpack (or
 * reuse the release kept on the node) → migrate config → migrate hook → restore data → swap.
 * When one fails, `step` and `appStopped` tell the pipeline how to end the command.
 */
export class InstallRun {
  readonly cmd: InstallCommandV1;
  /** The version the node ran when the command started. */
  readonly previous: string | null;
  /** Where the artifact is downloaded to. */
  readonly tmpArtifact: string;
  /** The journal entry's nonce (see JournalEntry.nonce). */
  private readonly nonce: string | undefined;
  /** The step in progress. */
  step: InstallStep = 'preflight';
  /** The app was stopped for a data restore: started again (on the previous release, its config put back first) when the install fails before the swap. */
  appStopped = false;

  constructor(
    private readonly deps: InstallPipelineDeps,
    entry: JournalEntry,
    private readonly report: StepReporter,
    private readonly signal: AbortSignal,
  ) {
    this.cmd = entry.command;
    this.previous = entry.previousVersion;
    this.nonce = entry.nonce;
    this.tmpArtifact = deps.dir.tmpPath(`${this.cmd.commandId}.artifact`);
  }

  /** Journals and reports that `next` starts; refuses to start it once the agent is stopping. */
  async enter(next: InstallStep, message?: string): Promise<void> {
    if (this.signal.aborted)
      throw new InstallStepError(AgentErrorCode.Interrupted, `the agent is stopping before ${next}`, { step: next });
    this.step = next;
    await this.deps.journal.update(this.cmd.commandId, { step: next });
    await this.report(next, message);
  }

  /** Refuses an artifact larger than the node allows, one its pinned anchor cannot vouch for, or a node short of free disk. */
  async preflight(): Promise<void> {
    const { limits, dir } = this.deps;
    if (this.cmd.artifact.length > limits.maxArtifactBytes) {
      throw new InstallStepError(
        AgentErrorCode.ArtifactTooLarge,
        `the artifact is ${this.cmd.artifact.length} bytes, more than AGENT_MAX_ARTIFACT_BYTES (${limits.maxArtifactBytes}) allows on this node`,
        { step: 'preflight' },
      );
    }
    this.deps.checkAnchor?.(this.cmd);
    const free = await this.deps.freeDisk(dir.root);
    if (free < limits.minFreeDiskBytes) {
      throw new InstallStepError(
        AgentErrorCode.NotEnoughDisk,
        `only ${free} bytes are free under ${dir.root}; AGENT_MIN_FREE_DISK asks for ${limits.minFreeDiskBytes}. Free some space`,
        { step: 'preflight' },
      );
    }
    await this.checkRestore();
  }

  /** A rollback --restore-data naming a backup of another node or component is refused here, before the app is stopped. */
  private async checkRestore(): Promise<void> {
    const { cmd, deps } = this;
    if (!cmd.restoreBackupId || !deps.checkRestore) return;
    await deps.checkRestore(cmd.restoreBackupId, cmd).catch((err: unknown) => {
      const foreign = (err as { code?: unknown }).code === BackupJobErrorCode.Foreign;
      throw new InstallStepError(
        foreign ? AgentErrorCode.BackupForeign : AgentErrorCode.BackupFailed,
        foreign
          ? (err as Error).message
          : `cannot read backup ${cmd.restoreBackupId} to restore it: ${describeError(err)}; nothing was changed`,
        { step: 'preflight', cause: err },
      );
    });
  }

  /** Takes the pre-update backup when the command and the node's policy ask for one; its failure stops the install before anything changed. */
  async backUpBeforeUpdate(): Promise<void> {
    const { cmd, deps, signal } = this;
    // an install backs up what it changes; a rollback only what a data restore will replace, so
    // that restore can be undone if the release it rolls back to fails afterwards
    if (cmd.backup === false || !deps.backup || (cmd.action !== 'install' && !cmd.restoreBackupId)) return;
    const backupId = preUpdateBackupId(cmd, this.nonce);
    await deps.journal.update(cmd.commandId, { backupId });
    await this.enter('backing_up', `backup ${backupId}`);
    await deps
      .backup(cmd, backupId, this.previous, (m) => void this.report('backing_up', m).catch(() => undefined), signal)
      .catch((err: unknown) => {
        if (isInterrupted(err) || signal.aborted)
          throw new InstallStepError(AgentErrorCode.Interrupted, 'the agent is stopping during the pre-update backup', {
            step: 'backing_up',
            cause: err,
          });
        throw new InstallStepError(
          AgentErrorCode.BackupFailed,
          `the pre-update backup failed, so nothing was changed: ${describeError(err)}`,
          { step: 'backing_up', cause: err },
        );
      });
  }

  /** Puts the release under releases/: reuses the one kept on this node when its artifact's sha256 and its tree hash match, else downloads it. Returns its directory. */
  async fetchRelease(): Promise<string> {
    const { cmd } = this;
    const { dir } = this.deps;
    // the running release is never fetched again (restore-data on a node already at the version):
    // it is what runs, and promote refuses to replace it
    if (cmd.version === this.previous) {
      await this.enter('unpacking', `release ${cmd.version} is the current release; keeping it`);
      return dir.releaseDir(cmd.version);
    }
    const kept = await dir.keptRelease(cmd.version, cmd.artifact.sha256);
    if (kept) await this.enter('unpacking', `release ${cmd.version} is still kept on this node; reusing it`);
    else {
      if (await dir.hasRelease(cmd.version))
        this.deps.logger.warn(
          `releases/${cmd.version} is on disk but is not the tree unpacked from this artifact (a delete was interrupted, or it changed since); downloading it again`,
        );
      await this.downloadRelease();
    }
    return dir.releaseDir(cmd.version);
  }

  /** Downloads, verifies and unpacks the artifact, then promotes the unpacked release. */
  private async downloadRelease(): Promise<void> {
    const { cmd, deps, signal } = this;
    await this.enter('downloading');
    const maxBytes = Math.min(cmd.artifact.length, deps.limits.maxArtifactBytes);
    const artifact = await deps.download(cmd.artifact.uri, this.tmpArtifact, maxBytes, signal);
    await this.enter('verifying');
    await deps.verify(cmd, artifact, signal);
    await this.enter('unpacking');
    await this.unpack(artifact);
    await deps.dir.promote(cmd.version, artifact.sha256);
    await rm(this.tmpArtifact, { force: true });
  }

  /** Unpacks into a fresh partial directory, removed again when unpacking fails. */
  private async unpack(artifact: DownloadedArtifact): Promise<void> {
    const { dir, limits } = this.deps;
    const partial = await dir.freshPartial(this.cmd.version);
    try {
      await this.deps.unpack(artifact.path, partial, {
        maxUnpackedBytes: limits.maxUnpackedBytes,
        maxEntries: limits.maxEntries,
        timeLimitMs: limits.unpackTimeoutMs,
      });
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      throw err;
    }
  }

  /** Journals where the old config is kept, then merges the release's new defaults into shared/config.json. */
  async migrateConfig(releaseDir: string): Promise<void> {
    const { cmd, deps } = this;
    await this.enter('migrating_config');
    const backup = deps.dir.tmpPath(`${cmd.commandId}.config-backup.json`);
    await deps.journal.update(cmd.commandId, { config: { backup, hadConfig: await deps.config.hasConfig() } });
    const migration = await deps.config.migrate(releaseDir, backup);
    if (migration.added.length)
      deps.logger.log(`config: added ${migration.added.join(', ')} from ${cmd.version}'s defaults`);
  }

  /** Runs the release's migrate hook. */
  async runMigrateHook(releaseDir: string): Promise<void> {
    await this.enter('migrate_hook');
    await this.deps.hook.run({
      releaseDir,
      sharedDir: this.deps.dir.sharedDir,
      version: this.cmd.version,
      previousVersion: this.previous,
    });
  }

  /** For a rollback with --restore-data: stops the app and restores the backup the command names. */
  async restoreData(): Promise<void> {
    const { cmd, deps, signal } = this;
    if (!cmd.restoreBackupId) return;
    if (!deps.restoreData)
      throw new InstallStepError(
        AgentErrorCode.BackupFailed,
        'this node has no backup settings, so it cannot restore data; set BACKUP_* on the agent',
        { step: 'restoring_data' },
      );
    await this.enter('restoring_data', `stopping the app, then restoring backup ${cmd.restoreBackupId}`);
    this.checkDeadline('restoring_data');
    // the running release must not write to what is being put back (nor hold locks pg_restore needs)
    this.appStopped = true;
    await deps.app.stop().catch((err: Error) => {
      throw new InstallStepError(
        AgentErrorCode.BackupFailed,
        `cannot stop the app to restore backup ${cmd.restoreBackupId}: ${err.message}; nothing was restored`,
        { step: 'restoring_data', cause: err },
      );
    });
    await deps
      .restoreData(
        cmd.restoreBackupId,
        cmd,
        (m) => void this.report('restoring_data', m).catch(() => undefined),
        signal,
      )
      .catch((err: unknown) => {
        const partial = (err as { code?: unknown }).code === BackupJobErrorCode.RestorePartial;
        throw new InstallStepError(
          AgentErrorCode.BackupFailed,
          `restoring backup ${cmd.restoreBackupId} failed${partial ? ' part-way' : '; the data was left as it was'}: ${describeError(err)}`,
          { step: 'restoring_data', cause: err },
        );
      });
    await deps.journal.update(cmd.commandId, { restoredBackupId: cmd.restoreBackupId });
  }

  /** Stops a command whose deadline passed: the rollout gave up on this node, so nothing more changes. */
  private checkDeadline(step: InstallStep): void {
    const { deadline } = this.cmd;
    if (deadline === undefined || (this.deps.now ?? Date.now)() <= Date.parse(deadline)) return;
    throw new InstallStepError(
      AgentErrorCode.DeadlinePassed,
      `the command's deadline ${deadline} passed before ${step === 'swapping' ? 'the swap' : 'the data restore'}: rollout ${this.cmd.rolloutId} gave up on this node, so ${this.cmd.version} is not put in place`,
      { step },
    );
  }

  /** Journals the swap, then points `current` at the new release. */
  async swapCurrent(): Promise<void> {
    await this.enter('swapping');
    this.checkDeadline('swapping');
    await this.deps.journal.update(this.cmd.commandId, { swap: { from: this.previous, to: this.cmd.version } });
    await this.deps.dir.swapCurrent(this.cmd.version);
  }
}

/**
 * The id of a command's pre-update backup: stable for the journaled command, readable in a list.
 * It ends in a digest of the journal entry's nonce, so another node cannot work it out from the
 * command to name it in a `backup.changed` event of its own (every agent may publish that
 * subject); without a nonce (an older agent's entry) the digest is of the command id alone.
 */
export function preUpdateBackupId(cmd: InstallCommandV1, nonce: string | undefined): string {
  const digest =
    nonce === undefined
      ? createHash('sha256').update(cmd.commandId).digest('hex').slice(0, 8)
      : createHash('sha256').update(`${cmd.commandId}\n${nonce}`).digest('hex').slice(0, 24);
  const name = `preupdate_${cmd.nodeId}_${cmd.version.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  // the digest is never cut off (a backup id has at most 128 characters)
  return `${name.slice(0, 127 - digest.length)}_${digest}`;
}

/** Whether `err` says the agent is stopping (the command is left for the next start to finish). */
export const isInterrupted = (err: unknown): boolean =>
  err instanceof InstallStepError && err.code === AgentErrorCode.Interrupted;
