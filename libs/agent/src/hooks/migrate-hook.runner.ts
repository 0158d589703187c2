import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentErrorCode, InstallStepError } from '../errors';
import { describeResult, runCommand } from '../process/run-command';

/** Path of the migrate hook inside a release. */
export const MIGRATE_HOOK = join('hooks', 'migrate');

/** Environment a hook (and the supervised app) gets from the agent. */
export interface ReleaseEnvironment {
  /** Absolute path of the release being installed. */
  releaseDir: string;
  sharedDir: string;
  version: string;
  previousVersion: string | null;
}

export const releaseEnv = (e: ReleaseEnvironment): Record<string, string> => ({
  LOCKSTEP_RELEASE_DIR: e.releaseDir,
  LOCKSTEP_SHARED_DIR: e.sharedDir,
  LOCKSTEP_VERSION: e.version,
  LOCKSTEP_PREVIOUS_VERSION: e.previousVersion ?? '',
});

/**
 * Runs a release's `hooks/migrate` (when it ships one) in the release directory with the
 * LOCKSTEP_* variables, under a timeout. A hook that is present but not executable, exits
 * non-zero or times out fails the install before the swap.
 */
export class MigrateHookRunner {
  constructor(private readonly timeoutMs: number) {}

  /** Returns false when the release has no hook. */
  async run(env: ReleaseEnvironment): Promise<boolean> {
    const hook = join(env.releaseDir, MIGRATE_HOOK);
    try {
      const info = await lstat(hook);
      if (!info.isFile() && !info.isSymbolicLink()) throw this.fail(`${MIGRATE_HOOK} of ${env.version} is not a file`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      await access(hook, constants.X_OK);
    } catch (err) {
      throw this.fail(`${MIGRATE_HOOK} of ${env.version} is not executable; ship it with mode 0755`, err);
    }
    const result = await runCommand({
      command: hook,
      cwd: env.releaseDir,
      env: releaseEnv(env),
      timeoutMs: this.timeoutMs,
    }).catch((err: Error) => {
      throw this.fail(`${MIGRATE_HOOK} of ${env.version} could not be started (${err.message})`, err);
    });
    if (result.code !== 0 || result.timedOut)
      throw this.fail(
        `${describeResult(`${MIGRATE_HOOK} of ${env.version}`, result, this.timeoutMs)}${result.timedOut ? ' (AGENT_HOOK_TIMEOUT)' : ''}`,
      );
    return true;
  }

  private fail(message: string, cause?: unknown): InstallStepError {
    return new InstallStepError(AgentErrorCode.HookFailed, message, { step: 'migrate_hook', cause });
  }
}
