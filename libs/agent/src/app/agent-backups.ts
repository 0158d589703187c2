import { openBackupJobs, retryFor, targetsFromSettings } from '@lockstep/backup-jobs';
import { createEvent, eventWireSubject, Subjects, type InstallCommandV1 } from '@lockstep/contracts';
import { FleetLockUnavailableError } from '@lockstep/fleet-lock';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { InstallPipelineDeps } from '../install/install.types';
import { newNonce, type CommandJournal } from '../journal/command-journal';
import { agentBackupChangedEventId } from '../journal/event-ids';
import type { AgentSettings } from '../settings';
import type { AgentLogger } from '../support/logger';
import type { AppDirectory } from './app-directory';

/** Runs `open` until the lock bucket it needs exists (the scheduler creates it at start). */
async function waitForLockBucket<T>(logger: AgentLogger, open: () => Promise<T>): Promise<T> {
  let said = false;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof FleetLockUnavailableError && err.missing)) throw err;
      if (!said) logger.warn(`${err.message}; waiting for it`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The install pipeline's backup steps, and the directories a data restore may put back. */
export interface AgentBackups {
  deps: Pick<InstallPipelineDeps, 'backup' | 'settleBackup' | 'checkRestore' | 'restoreData'>;
  /** Directories a data restore may put back (BACKUP_* paths), checked at start for an interrupted one. */
  restoreTargets: string[];
}

/**
 * Pre-update backups and data restores of this node's targets (BACKUP_*; by default the
 * app's shared/ directory), recorded in the catalogue through `evt.backup.changed.v1` on the
 * node's own subject. None when the agent has no backup settings.
 */
export async function openAgentBackups(o: {
  settings: AgentSettings;
  dir: AppDirectory;
  nats: { nc: NatsConnection; namespace: string; replicas?: number };
  js: JetStreamClient;
  journal: CommandJournal;
  logger: AgentLogger;
}): Promise<AgentBackups> {
  const { js, journal } = o;
  const s = o.settings;
  const s3 = s.s3;
  if (!s.backup || !s3) return { deps: {}, restoreTargets: [] };
  const settings = s.backup.settings;
  const targets = targetsFromSettings(settings);
  if (!targets.config.length && !targets.data.length && !targets.databases.length) targets.data = [o.dir.sharedDir];
  const restoreTargets = [...targets.config, ...targets.data, ...targets.logs];
  const source = `/lockstep/installer/${s.nodeId}`;
  const own = { nodeId: s.nodeId, component: s.component };
  const jobs = await waitForLockBucket(o.logger, () =>
    openBackupJobs({
      createLockBucket: false,
      nc: o.nats.nc,
      namespace: o.nats.namespace,
      holder: `agent@${s.nodeId}`,
      settings,
      s3,
      targets,
      replicas: o.nats.replicas,
      record: async (backup) => {
        // a backup no journal entry names (one being restored) gets a nonce of its own, kept through the retries
        const nonce = journal.nonceOfBackup(backup.id) ?? newNonce();
        const id = agentBackupChangedEventId(s.nodeId, backup, nonce);
        const ev = createEvent(Subjects.BackupChanged, { backup }, { source, subject: backup.id, id });
        // Retried through a NATS server failing over (same msg id: a late duplicate is dropped).
        await retryFor(
          () =>
            // on this node's own subject, the only one its NATS user may announce backups on
            js.publish(
              `${o.nats.namespace}.${eventWireSubject(Subjects.BackupChanged, s.nodeId)}`,
              JSON.stringify(ev),
              {
                msgID: ev.id,
                timeout: 5000,
              },
            ),
          {
            forMs: 30_000,
            onRetry: (err) =>
              o.logger.warn(
                `backup ${backup.id}: recording ${backup.status} failed (${(err as Error).message}); retrying`,
              ),
          },
        );
      },
    }),
  );
  const request = (cmd: InstallCommandV1, backupId: string, previousVersion: string | null) => ({
    id: backupId,
    type: 'full' as const,
    trigger: 'pre-update' as const,
    description: `before ${cmd.component} ${previousVersion ?? '(none)'} → ${cmd.version} (rollout ${cmd.rolloutId})`,
    component: cmd.component,
    componentVersion: previousVersion,
    nodeId: s.nodeId,
    rolloutId: cmd.rolloutId,
    operationId: cmd.commandId,
  });
  const deps: AgentBackups['deps'] = {
    ...(s.backup.beforeUpdate
      ? {
          backup: async (cmd, backupId, previousVersion, report, signal) => {
            await jobs.create(
              request(cmd, backupId, previousVersion),
              (p) => report(`${p.step} ${Math.round(p.percent)}%`),
              signal,
            );
          },
          settleBackup: async (cmd, backupId, previousVersion) => {
            await jobs.settleInterrupted(jobs.creatingRecord(request(cmd, backupId, previousVersion)));
          },
        }
      : {}),
    // only this node's own backups of the component it serves: another's files would overwrite this node's
    checkRestore: (backupId) => jobs.checkOwner(backupId, own),
    restoreData: async (backupId, cmd, report) => {
      await jobs.restore(
        backupId,
        { what: 'all', databaseMode: 'replace', operationId: `${cmd.commandId}-restore`, expectOwner: own },
        (p) => report(`${p.step} ${Math.round(p.percent)}%`),
      );
    },
  };
  return { deps, restoreTargets };
}
