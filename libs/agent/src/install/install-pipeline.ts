import { BackupErrorCode } from '@lockstep/backup-engine';
import { BackupJobErrorCode } from '@lockstep/backup-jobs';
import type { InstallFinishedV1, InstallStep } from '@lockstep/contracts';
import { rm } from 'node:fs/promises';
import { AgentErrorCode, describeError, InstallStepError } from '../errors';
import type { JournalEntry } from '../journal/command-journal';
import { InstallRun, isInterrupted } from './install-run';
import type { InstallPipelineDeps, StepReporter } from './install.types';

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

export type { InstallLimits, InstallPipelineDeps, StepReporter } from './install.types';

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
    const run = new InstallRun(this.deps, entry, report, signal);
    try {
      await run.enter('preflight');
      // a node already on the version still restores the data it was asked to
      if (run.previous === run.cmd.version && !run.cmd.restoreBackupId)
        return this.outcome(entry, 'succeeded', { runningVersion: run.previous, noop: true });
      await run.preflight();
      await run.backUpBeforeUpdate();
      const releaseDir = await run.fetchRelease();
      await run.migrateConfig(releaseDir);
      await run.runMigrateHook(releaseDir);
      await run.restoreData();
      await run.swapCurrent();
    } catch (err) {
      return this.endFailedRun(run, err, report, signal);
    }
    return this.afterSwap(await this.deps.journal.update(run.cmd.commandId, {}), report, signal);
  }

  /**
   * Ends a run that failed up to the swap: `failed` when `current` still points at the
   * previous release, else (a bookkeeping write failed after the swap went through) rolled
   * back like a failure after the swap.
   */
  private async endFailedRun(
    run: InstallRun,
    err: unknown,
    report: StepReporter,
    signal: AbortSignal,
  ): Promise<InstallFinishedV1> {
    const { dir, journal } = this.deps;
    const { cmd, previous } = run;
    await rm(run.tmpArtifact, { force: true }).catch(() => undefined);
    if (isInterrupted(err)) throw err;
    if ((await dir.currentVersion().catch(() => previous)) !== cmd.version)
      return this.failBeforeSwap(await journal.update(cmd.commandId, {}), run.step, err, run.appStopped);
    return this.rollBack(
      await journal.update(cmd.commandId, { swap: { from: previous, to: cmd.version } }),
      { step: run.step, error: describeError(err) },
      report,
      signal,
    );
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
    if (step === 'restoring_data' || entry.restoredBackupId !== undefined) {
      // the app was stopped for the restore, and the agent's start finished any file exchange it cut off: files (and databases) may be restored
      const err = new InstallStepError(
        AgentErrorCode.Interrupted,
        `the agent stopped in or after restoring backup ${entry.command.restoreBackupId}, before the swap to ${entry.command.version}: the data may be partly or wholly restored while \`current\` is still ${current ?? 'nothing'}. Send the rollback again to restore it whole`,
        { step },
      );
      return this.failBeforeSwap(entry, step, err, true, true);
    }
    const err = new InstallStepError(
      AgentErrorCode.Interrupted,
      `the agent stopped during ${step}, before the swap; the node still runs ${current ?? 'nothing'}. Send a new command to try again`,
      { step },
    );
    return this.failBeforeSwap(entry, step, err);
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
    if (entry.restoredBackupId) {
      // the previous release must not run on the data restored for this one: put its data back first
      await app.stop().catch((e: Error) => this.deps.logger.error(`could not stop the app: ${e.message}`));
      const undone = await this.undoRestore(entry);
      if (!undone.ok) {
        await this.cleanUp(entry);
        return this.outcome(entry, 'failed', {
          runningVersion: null,
          failedStep: failure.step,
          error: `${failure.error}; ${cmd.version} runs on the restored data of ${entry.restoredBackupId}, and ${undone.note.replace(/stays stopped/, `stays stopped on ${cmd.version}`)}`,
        });
      }
      problems.push(undone.note);
    }
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

  /**
   * Ends a command that failed before its swap. A data restore that may have changed part of
   * the data (`partial`, or failing part-way) is undone from the backup taken just before it;
   * without one the app stays stopped rather than run its release on partly restored data.
   */
  private async failBeforeSwap(
    entry: JournalEntry,
    step: InstallStep,
    err: unknown,
    appStopped = false,
    partial = false,
  ): Promise<InstallFinishedV1> {
    await this.restoreConfig(entry).catch((e: Error) =>
      this.deps.logger.error(`could not restore shared/config.json: ${e.message}`),
    );
    await rm(this.deps.dir.partialDir(entry.command.version), { recursive: true, force: true }).catch(() => undefined);
    let error = describeError(err);
    let running = entry.previousVersion;
    if (appStopped && hasCode(err, BackupErrorCode.RestoreIncomplete)) {
      error += `; ${entry.previousVersion ?? 'the app'} stays stopped: its data is half restored`;
      running = null;
    } else if (
      appStopped &&
      // a restore that failed part-way, or finished but the command stopped before its swap
      // (its deadline passed): the previous release must not run on that data
      (partial || entry.restoredBackupId !== undefined || hasCode(err, BackupJobErrorCode.RestorePartial))
    ) {
      const undone = await this.undoRestore(entry);
      error += `; ${undone.note}`;
      if (undone.ok && entry.previousVersion !== null) error += await this.startAgain(entry.previousVersion);
      else running = null;
    } else if (appStopped && entry.previousVersion !== null) {
      error += await this.startAgain(entry.previousVersion);
    }
    await this.cleanUp(entry);
    const failedStep = err instanceof InstallStepError && err.step ? err.step : step;
    return this.outcome(entry, 'failed', { runningVersion: running, failedStep, error });
  }

  private startAgain(version: string): Promise<string> {
    return this.deps.app.restart().then(
      () => `; ${version} was started again`,
      (e: Error) => `; starting ${version} again failed too: ${e.message}`,
    );
  }

  /**
   * Puts back the data a restore of this command replaced, from the backup taken just before
   * it (the app is stopped). Says what it did, or why the app stays stopped.
   */
  private async undoRestore(entry: JournalEntry): Promise<{ ok: boolean; note: string }> {
    const stays = `${entry.previousVersion ?? 'the app'} stays stopped`;
    if (!entry.backupId || !this.deps.restoreData)
      return {
        ok: false,
        note: `the data may be partly restored and no backup was taken before the restore to put it back from, so ${stays}: restore a backup, then send the command again`,
      };
    try {
      await this.deps.restoreData(entry.backupId, entry.command, () => undefined, this.abortNever);
      return { ok: true, note: `the data the restore replaced was put back from ${entry.backupId}` };
    } catch (err) {
      if (isInterrupted(err)) throw err;
      return {
        ok: false,
        note: `putting the replaced data back from ${entry.backupId} failed too (${describeError(err)}), so ${stays}`,
      };
    }
  }

  /** Undoing a restore is not cut short: it is what keeps the app from running on mixed data. */
  private readonly abortNever = new AbortController().signal;

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

/** Whether `err` or any error in its cause chain carries `code`. */
function hasCode(err: unknown, code: string): boolean {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) if ((e as { code?: unknown }).code === code) return true;
  return false;
}
