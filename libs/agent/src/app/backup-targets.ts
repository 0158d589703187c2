import { finishInterruptedRestores } from '@lockstep/backup-engine';
import type { ServiceManager } from '../service-managers/service-manager';

/**
 * Brings each backup target of the node to a whole state before the app may start on it:
 * restore swaps a kill cut off are finished or undone. Returns what stops the app from
 * starting, one line per target: a target that could not be made whole, or one that is
 * missing (the app would start on no data, and write new data where the old belongs).
 */
export async function settleBackupTargets(
  targets: string[],
  finish: (target: string) => Promise<void> = finishInterruptedRestores,
): Promise<string[]> {
  const problems: string[] = [];
  for (const target of targets) {
    await finish(target).catch((err: NodeJS.ErrnoException) => {
      problems.push(
        err.code === 'ENOENT'
          ? `backup target ${target} does not exist; the app is not started without it. Create it (mkdir) if the app has no data yet, or restore it`
          : `backup target ${target}: ${err.message}`,
      );
    });
  }
  return problems;
}

/**
 * The service manager, except that it refuses to start or restart the app while one of its
 * backup targets is missing or half restored (settleBackupTargets finds a problem): at the
 * agent's start and on every path of an install or rollback that starts the app again.
 */
export function guardStartsByBackupTargets(app: ServiceManager, targets: () => string[]): ServiceManager {
  const ready = async (): Promise<void> => {
    const problems = await settleBackupTargets(targets());
    if (problems.length) throw new Error(problems.join('; '));
  };
  return {
    id: app.id,
    start: async () => {
      await ready();
      await app.start();
    },
    restart: async () => {
      await ready();
      await app.restart();
    },
    stop: () => app.stop(),
    status: () => app.status(),
    close: () => app.close(),
  };
}
