import { BackupErrorCode } from '@lockstep/backup-engine';
import { BackupJobErrorCode } from '@lockstep/backup-jobs';
import type { InstallCommandV1, InstallFinishedV1, InstallStep } from '@lockstep/contracts';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { AppDirectory } from '../app/app-directory';
import type { UnpackLimits, UnpackResult } from '../archive/archive-unpacker';
import type { ConfigMigrator } from '../config/config-migrator';
import type { DownloadedArtifact } from '../download/artifact-downloader';
import { AgentErrorCode, describeError, InstallStepError } from '../errors';
import type { HealthGate } from '../health/health-gate';
import type { MigrateHookRunner } from '../hooks/migrate-hook.runner';
import type { CommandJournal, JournalEntry } from '../journal/command-journal';
import type { ServiceManager } from '../service-managers/service-manager';
import type { AgentLogger } from '../support/logger';

/** Percent of the whole install reported when each step starts. */
export const STEP_PERCENT: Record<InstallStep, number> = {
  preflight: 5,
  backing_up: 8,
  downloading: 10,
  verifying: 35,
  unpacking: 50,
  migrating_config: 60,
  migrate_hook: 68,
  restoring_data: 70,
  swapping: 75,
  restarting: 80,
  health_check: 85,
  rolling_back: 90,
};

/** Called when a step starts (progress event + node state). */
export type StepReporter = (step: InstallStep, message?: string) => Promise<void>;

/** Limits the preflight and unpack steps enforce. */
export interface InstallLimits {
  minFreeDiskBytes: number;
  maxArtifactBytes: number;
  maxUnpackedBytes: number;
  maxEntries?: number;
  keepReleases: number;
}

/** Everything the pipeline works with; each is a repository owning its I/O. */
export interface InstallPipelineDeps {
  dir: AppDirectory;
  journal: CommandJournal;
  download(uri: string, path: string, maxBytes: number, signal: AbortSignal): Promise<DownloadedArtifact>;
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

type Outcome = Omit<InstallFinishedV1, 'noop'> & { noop?: boolean };

/**
 * The install steps of one command, in order: preflight → download → verify → unpack →
 * migrate config → migrate hook → swap `current` → restart → health gate. A failure before
 * the swap leaves the node as it was (config restored, partial files removed) and ends
 * `failed`; a failure after it puts the previous release back, restarts and re-checks it,
 * and ends `rolled_back`. Progress is journaled before each irreversible move, so
 * {@link resume} can finish a command whose agent was killed.
 */
export class InstallPipeline {
  constructor(private readonly deps: InstallPipelineDeps) {}

  /** Runs a journaled command to its outcome. Throws only InstallStepError(INTERRUPTED) when the agent is stopping. */
  async run(entry: JournalEntry, report: StepReporter, signal: AbortSignal): Promise<InstallFinishedV1> {
    const { dir, journal, limits } = this.deps;
    const cmd = entry.command;
    const previous = entry.previousVersion;
    let step: InstallStep = 'preflight';
    const enter = async (next: InstallStep, message?: string) => {
      if (signal.aborted)
        throw new InstallStepError(AgentErrorCode.Interrupted, `the agent is stopping before ${next}`, { step: next });
      step = next;
      await journal.update(cmd.commandId, { step });
      await report(step, message);
    };
    const tmpArtifact = dir.tmpPath(`${cmd.commandId}.artifact`);
    let appStopped = false; // for a data restore: started again (on the previous release, its config put back first) when the install fails before the swap
    try {
      await enter('preflight');
      if (previous === cmd.version) return this.outcome(entry, 'succeeded', { runningVersion: previous, noop: true });
      await this.preflight(cmd);
      if (cmd.backup !== false && cmd.action === 'install' && this.deps.backup) {
        const backupId = preUpdateBackupId(cmd);
        entry = await journal.update(cmd.commandId, { backupId });
        await enter('backing_up', `backup ${backupId}`);
        await this.deps
          .backup(cmd, backupId, previous, (m) => void report('backing_up', m).catch(() => undefined), signal)
          .catch((err: unknown) => {
            if (isInterrupted(err) || signal.aborted)
              throw new InstallStepError(
                AgentErrorCode.Interrupted,
                'the agent is stopping during the pre-update backup',
                { step: 'backing_up', cause: err },
              );
            throw new InstallStepError(
              AgentErrorCode.BackupFailed,
              `the pre-update backup failed, so nothing was changed: ${describeError(err)}`,
              { step: 'backing_up', cause: err },
            );
          });
      }
      const kept =
        (await dir.hasRelease(cmd.version)) && (await dir.record(cmd.version))?.sha256 === cmd.artifact.sha256;
      if (kept) {
        await enter('unpacking', `release ${cmd.version} is still kept on this node; reusing it`);
      } else {
        await enter('downloading');
        const artifact = await this.deps.download(
          cmd.artifact.uri,
          tmpArtifact,
          Math.min(cmd.artifact.length, limits.maxArtifactBytes),
          signal,
        );
        await enter('verifying');
        await this.deps.verify(cmd, artifact, signal);
        await enter('unpacking');
        const partial = await dir.freshPartial(cmd.version);
        try {
          await this.deps.unpack(artifact.path, partial, {
            maxUnpackedBytes: limits.maxUnpackedBytes,
            maxEntries: limits.maxEntries,
          });
        } catch (err) {
          await rm(partial, { recursive: true, force: true });
          throw err;
        }
        await dir.promote(cmd.version, artifact.sha256);
        await rm(tmpArtifact, { force: true });
      }
      const releaseDir = dir.releaseDir(cmd.version);
      await enter('migrating_config');
      const backup = dir.tmpPath(`${cmd.commandId}.config-backup.json`);
      await journal.update(cmd.commandId, { config: { backup, hadConfig: await this.deps.config.hasConfig() } });
      const migration = await this.deps.config.migrate(releaseDir, backup);
      if (migration.added.length)
        this.deps.logger.log(`config: added ${migration.added.join(', ')} from ${cmd.version}'s defaults`);
      await enter('migrate_hook');
      await this.deps.hook.run({
        releaseDir,
        sharedDir: dir.sharedDir,
        version: cmd.version,
        previousVersion: previous,
      });
      if (cmd.restoreBackupId) {
        if (!this.deps.restoreData)
          throw new InstallStepError(
            AgentErrorCode.BackupFailed,
            'this node has no backup settings, so it cannot restore data; set BACKUP_* on the agent',
            { step: 'restoring_data' },
          );
        await enter('restoring_data', `stopping the app, then restoring backup ${cmd.restoreBackupId}`);
        // the running release must not write to what is being put back (nor hold locks pg_restore needs)
        appStopped = true;
        await this.deps.app.stop().catch((err: Error) => {
          throw new InstallStepError(
            AgentErrorCode.BackupFailed,
            `cannot stop the app to restore backup ${cmd.restoreBackupId}: ${err.message}; nothing was restored`,
            { step: 'restoring_data', cause: err },
          );
        });
        await this.deps
          .restoreData(cmd.restoreBackupId, cmd, (m) => void report('restoring_data', m).catch(() => undefined), signal)
          .catch((err: unknown) => {
            const partial = (err as { code?: unknown }).code === BackupJobErrorCode.RestorePartial;
            throw new InstallStepError(
              AgentErrorCode.BackupFailed,
              `restoring backup ${cmd.restoreBackupId} failed${partial ? ' part-way' : '; the data was left as it was'}: ${describeError(err)}`,
              { step: 'restoring_data', cause: err },
            );
          });
        entry = await journal.update(cmd.commandId, { restoredBackupId: cmd.restoreBackupId });
      }
      await enter('swapping');
      await journal.update(cmd.commandId, { swap: { from: previous, to: cmd.version } });
      await dir.swapCurrent(cmd.version);
    } catch (err) {
      await rm(tmpArtifact, { force: true }).catch(() => undefined);
      if (isInterrupted(err)) throw err;
      if ((await dir.currentVersion().catch(() => previous)) !== cmd.version)
        return this.failBeforeSwap(await journal.update(cmd.commandId, {}), step, err, appStopped);
      // The swap went through although a later bookkeeping write failed: treat as after the swap.
      return this.rollBack(
        await journal.update(cmd.commandId, { swap: { from: previous, to: cmd.version } }),
        { step, error: describeError(err) },
        report,
        signal,
      );
    }
    return this.afterSwap(await journal.update(cmd.commandId, {}), report, signal);
  }

  /**
   * Finishes a command the journal shows as started by an agent that is gone. The app has
   * been started from `current` already. Before the swap: nothing changed, report `failed`.
   * After it: run the health gate again and roll back on failure. During a rollback: finish it.
   */
  async resume(entry: JournalEntry, report: StepReporter, signal: AbortSignal): Promise<InstallFinishedV1> {
    const current = await this.deps.dir.currentVersion();
    if (entry.rollingBack && entry.swap) {
      return this.rollBack(
        entry,
        entry.failure ?? { step: entry.step ?? 'health_check', error: 'the agent stopped while rolling back' },
        report,
        signal,
      );
    }
    if (entry.swap && current === entry.swap.to) {
      this.deps.logger.warn(
        `command ${entry.commandId}: the agent stopped after swapping to ${entry.swap.to}; checking health again`,
      );
      return this.afterSwap(entry, report, signal, { restart: false });
    }
    const step = entry.step ?? 'preflight';
    if (step === 'backing_up' && entry.backupId && this.deps.settleBackup) {
      await this.deps
        .settleBackup(entry.command, entry.backupId, entry.previousVersion)
        .catch((e: unknown) =>
          this.deps.logger.error(`could not settle pre-update backup ${entry.backupId}: ${describeError(e)}`),
        );
    }
    if (step === 'restoring_data') {
      // the app was stopped for the restore, and the agent's start finished any file exchange it cut off: files (and databases) may be restored
      const err = new InstallStepError(
        AgentErrorCode.Interrupted,
        `the agent stopped while restoring backup ${entry.command.restoreBackupId}, before the swap: the data may be partly restored; the node still runs ${current ?? 'nothing'}. Send the rollback again to restore it whole`,
        { step },
      );
      return this.failBeforeSwap(entry, step, err, true);
    }
    const err = new InstallStepError(
      AgentErrorCode.Interrupted,
      `the agent stopped during ${step}, before the swap; the node still runs ${current ?? 'nothing'}. Send a new command to try again`,
      { step },
    );
    return this.failBeforeSwap(entry, step, err);
  }

  private async preflight(cmd: InstallCommandV1): Promise<void> {
    const { limits, dir } = this.deps;
    if (cmd.artifact.length > limits.maxArtifactBytes) {
      throw new InstallStepError(
        AgentErrorCode.ArtifactTooLarge,
        `the artifact is ${cmd.artifact.length} bytes, more than AGENT_MAX_ARTIFACT_BYTES (${limits.maxArtifactBytes}) allows on this node`,
        { step: 'preflight' },
      );
    }
    const free = await this.deps.freeDisk(dir.root);
    if (free < limits.minFreeDiskBytes) {
      throw new InstallStepError(
        AgentErrorCode.NotEnoughDisk,
        `only ${free} bytes are free under ${dir.root}; AGENT_MIN_FREE_DISK asks for ${limits.minFreeDiskBytes}. Free some space`,
        { step: 'preflight' },
      );
    }
  }

  private async afterSwap(
    entry: JournalEntry,
    report: StepReporter,
    signal: AbortSignal,
    options: { restart: boolean } = { restart: true },
  ): Promise<InstallFinishedV1> {
    const cmd = entry.command;
    let step: InstallStep = 'restarting';
    try {
      if (options.restart) {
        await this.enter(entry, step, report);
        await this.deps.app.restart().catch((err: Error) => {
          throw new InstallStepError(
            AgentErrorCode.RestartFailed,
            `cannot restart the app on ${cmd.version}: ${err.message}`,
            { step: 'restarting', cause: err },
          );
        });
      }
      step = 'health_check';
      await this.enter(entry, step, report);
      await this.deps.health.wait(cmd.health.minHealthyMs, cmd.health.deadlineMs, signal);
    } catch (err) {
      if (isInterrupted(err)) throw err;
      return this.rollBack(entry, { step, error: describeError(err) }, report, signal);
    }
    await this.cleanUp(entry);
    const pruned = await this.deps.dir
      .prune(this.deps.limits.keepReleases, [cmd.version, entry.previousVersion])
      .catch((err: Error) => {
        this.deps.logger.warn(`could not prune old releases: ${err.message}`);
        return [];
      });
    if (pruned.length) this.deps.logger.log(`removed old releases ${pruned.join(', ')}`);
    return this.outcome(entry, 'succeeded', { runningVersion: cmd.version });
  }

  /** Puts the previous release back after a failure past the swap, restarts and re-checks it. */
  private async rollBack(
    entry: JournalEntry,
    failure: { step: InstallStep; error: string },
    report: StepReporter,
    signal: AbortSignal,
  ): Promise<InstallFinishedV1> {
    const { dir, app, health, journal } = this.deps;
    const cmd = entry.command;
    const previous = entry.previousVersion;
    entry = await journal.update(cmd.commandId, { rollingBack: true, failure });
    await report('rolling_back', `${failure.step} failed: ${failure.error}`);
    const problems: string[] = [];
    try {
      await this.restoreConfig(entry);
      await dir.swapCurrent(previous);
      if (previous === null) await app.stop();
      else {
        await app.restart();
        await health.wait(cmd.health.minHealthyMs, cmd.health.deadlineMs, signal);
      }
    } catch (err) {
      if (isInterrupted(err)) throw err;
      problems.push(
        `the previous release ${previous ?? '(none)'} did not come back healthy either: ${describeError(err)}`,
      );
      this.deps.logger.error(`rollback of ${cmd.commandId} to ${previous}: ${describeError(err)}`);
    }
    await this.cleanUp(entry);
    const running = await dir.currentVersion().catch(() => previous);
    return this.outcome(entry, 'rolled_back', {
      runningVersion: running,
      failedStep: failure.step,
      error: [failure.error, ...problems].join('; '),
    });
  }

  private async failBeforeSwap(
    entry: JournalEntry,
    step: InstallStep,
    err: unknown,
    appStopped = false,
  ): Promise<InstallFinishedV1> {
    await this.restoreConfig(entry).catch((e: Error) =>
      this.deps.logger.error(`could not restore shared/config.json: ${e.message}`),
    );
    await rm(this.deps.dir.partialDir(entry.command.version), { recursive: true, force: true }).catch(() => undefined);
    let error = describeError(err);
    if (appStopped && hasCode(err, BackupErrorCode.RestoreIncomplete))
      error += `; ${entry.previousVersion ?? 'the app'} stays stopped: its data is half restored`;
    else if (appStopped && entry.previousVersion !== null) {
      error += await this.deps.app.restart().then(
        () => `; ${entry.previousVersion} was started again`,
        (e: Error) => `; starting ${entry.previousVersion} again failed too: ${e.message}`,
      );
    }
    await this.cleanUp(entry);
    const failedStep = err instanceof InstallStepError && err.step ? err.step : step;
    return this.outcome(entry, 'failed', { runningVersion: entry.previousVersion, failedStep, error });
  }

  private async restoreConfig(entry: JournalEntry): Promise<void> {
    if (entry.config) await this.deps.config.restore(entry.config.backup, entry.config.hadConfig);
  }

  private async cleanUp(entry: JournalEntry): Promise<void> {
    const { dir } = this.deps;
    await rm(dir.tmpPath(`${entry.commandId}.artifact`), { force: true }).catch(() => undefined);
    if (entry.config) await rm(entry.config.backup, { force: true }).catch(() => undefined);
  }

  private async enter(entry: JournalEntry, step: InstallStep, report: StepReporter): Promise<void> {
    await this.deps.journal.update(entry.commandId, { step });
    await report(step);
  }

  private outcome(
    entry: JournalEntry,
    result: InstallFinishedV1['result'],
    rest: Partial<Outcome> & { runningVersion: string | null },
  ): InstallFinishedV1 {
    const c = entry.command;
    return {
      commandId: c.commandId,
      rolloutId: c.rolloutId,
      nodeId: c.nodeId,
      component: c.component,
      version: c.version,
      previousVersion: entry.previousVersion,
      result,
      noop: false,
      ...(entry.backupId ? { backupId: entry.backupId } : {}),
      ...(entry.restoredBackupId ? { restoredBackupId: entry.restoredBackupId } : {}),
      ...rest,
    };
  }
}

/** The id of a command's pre-update backup: stable for the command, readable in a list. */
export function preUpdateBackupId(cmd: InstallCommandV1): string {
  const digest = createHash('sha256').update(cmd.commandId).digest('hex').slice(0, 8);
  return `preupdate_${cmd.nodeId}_${cmd.version.replace(/[^A-Za-z0-9._-]/g, '_')}_${digest}`.slice(0, 128);
}

const isInterrupted = (err: unknown): boolean =>
  err instanceof InstallStepError && err.code === AgentErrorCode.Interrupted;

/** Whether `err` or any error in its cause chain carries `code`. */
function hasCode(err: unknown, code: string): boolean {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) if ((e as { code?: unknown }).code === code) return true;
  return false;
}
