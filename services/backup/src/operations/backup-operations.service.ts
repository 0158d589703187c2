import { Inject, Injectable, Logger } from '@nestjs/common';
import { openBackupJobs, type BackupJobs, type JobProgress } from '@lockstep/backup-jobs';
import {
  Subjects,
  type BackupCreateResultV1,
  type BackupOperationCommandV1,
  type BackupPruneResultV1,
  type BackupRecordV1,
  type BackupRestoreResultV1,
  type BackupVerifyResultV1,
} from '@lockstep/contracts';
import { EventPublisher, NatsClient, type CommandOutcome } from '@lockstep/messaging';
import { SettingsReader, type SettingsSource } from '@lockstep/persistence';
import { BACKUP_CONFIG, type BackupServiceConfig } from '../backup.config';
import { BackupCatalogue } from '../catalogue/backup-catalogue';
import { BackupCatalogueService } from '../catalogue/backup-catalogue.service';
import { BackupOperationsRepository } from './backup-operations.repository';
import { retentionPolicy } from './retention-policy';

/** Opens the backup jobs (repository lock in NATS KV, S3 bucket); `openBackupJobs` outside unit specs. */
export const OPEN_BACKUP_JOBS = Symbol('OPEN_BACKUP_JOBS');

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Runs operator-requested backup operations (create, verify, restore, prune). The API recorded
 * each one `queued` in the same transaction as its command, so none is lost; the outcome is
 * recorded before the command is settled. A command delivered again after its worker died
 * finds the operation `running`: a create is then recorded failed — nothing was committed
 * unless its manifest exists, in which case it is recorded completed — while verify, restore
 * and prune, which are safe to repeat, run again.
 */
@Injectable()
export class BackupOperationsService {
  private readonly logger = new Logger(BackupOperationsService.name);
  private jobs?: BackupJobs;

  constructor(
    @Inject(BACKUP_CONFIG) private readonly config: BackupServiceConfig,
    @Inject(OPEN_BACKUP_JOBS) private readonly openJobs: typeof openBackupJobs,
    private readonly nats: NatsClient,
    private readonly catalogue: BackupCatalogue,
    private readonly changes: BackupCatalogueService,
    private readonly operations: BackupOperationsRepository,
    private readonly publisher: EventPublisher,
    @Inject(SettingsReader) private readonly settings: SettingsSource,
  ) {}

  /**
   * Opens the jobs over the service's bucket, under the repository lock in NATS KV (connect
   * NATS first); every catalogue change they make is recorded and announced. Call it once,
   * before the first execute().
   */
  async open(): Promise<void> {
    const c = this.config;
    this.jobs = await this.openJobs({
      nc: this.nats.nc,
      namespace: c.NATS_NAMESPACE,
      holder: c.BACKUP_REPLICA_ID,
      settings: c,
      s3: { endpoint: c.S3_ENDPOINT, accessKey: c.S3_ACCESS_KEY, secretKey: c.S3_SECRET_KEY },
      leaseMs: c.BACKUP_LOCK_LEASE,
      replicas: c.NATS_REPLICAS,
      record: (b) => this.changes.record(b),
      // restoring Lockstep's own database (when BACKUP_DATABASE_URLS lists it) never resumes the past,
      // keeps the live tokens and audit trail, and is recorded on top of that trail
      controlPlane: { databaseUrl: c.DATABASE_URL, ...this.operations.controlPlaneRestore() },
    });
  }

  /** Runs one operation command to its recorded outcome; a duplicate of a finished one is settled as is. */
  async execute(cmd: BackupOperationCommandV1): Promise<CommandOutcome> {
    const before = await this.operations.start(cmd.operationId);
    if (!before)
      return {
        kind: 'invalid',
        reason: `operation ${cmd.operationId} is not recorded in backup_operations; operations are requested through the API`,
      };
    if (before.state === 'succeeded' || before.state === 'failed') return { kind: 'ack' }; // a duplicate of a finished operation
    const interrupted = before.state === 'running';
    try {
      const result = await this.run(cmd, interrupted);
      await this.operations.finish(cmd.operationId, { state: 'succeeded', result });
    } catch (err) {
      this.logger.warn(`backup operation ${cmd.kind} ${cmd.operationId} failed: ${messageOf(err)}`);
      await this.operations.finish(cmd.operationId, {
        state: 'failed',
        error: messageOf(err),
        result: (err as { result?: Record<string, unknown> }).result ?? null,
      });
    }
    return { kind: 'ack' };
  }

  private async run(cmd: BackupOperationCommandV1, interrupted: boolean): Promise<Record<string, unknown>> {
    const jobs = this.opened();
    const progress = this.progressReporter(cmd.operationId, cmd.kind, 'backupId' in cmd ? cmd.backupId : null);
    switch (cmd.kind) {
      case 'create': {
        if (interrupted) return this.settleInterruptedCreate(cmd);
        const c = this.config;
        const backup = await jobs.create(
          {
            id: cmd.backupId,
            type: cmd.type,
            trigger: cmd.trigger,
            description: cmd.description,
            includeLogs: cmd.includeLogs,
            compress: cmd.compress,
            component: c.BACKUP_COMPONENT,
            componentVersion: await this.catalogue.componentVersion(c.BACKUP_COMPONENT),
            nodeId: null,
            operationId: cmd.operationId,
          },
          progress,
        );
        return { backupId: backup.id, backup } satisfies BackupCreateResultV1;
      }
      case 'verify': {
        const { backup, report } = await jobs.verify(await this.known(cmd.backupId), cmd.operationId, progress);
        const result = {
          ok: report.ok,
          corruptedPacks: report.corruptedPacks,
          problems: report.problems,
          packsChecked: report.packsChecked,
          chunksChecked: report.chunksChecked,
          status: backup.status,
        } satisfies BackupVerifyResultV1;
        if (!report.ok)
          throw Object.assign(
            new Error(
              `backup ${cmd.backupId} is corrupted: ${report.corruptedPacks.length} damaged pack(s): ${report.corruptedPacks.join(', ')}`,
            ),
            { result },
          );
        return result;
      }
      case 'restore': {
        const outcome = await jobs.restore(
          await this.known(cmd.backupId),
          {
            what: cmd.what,
            to: cmd.to,
            databaseMode: cmd.databaseMode,
            keepSpecialBits: cmd.keepSpecialBits,
            operationId: cmd.operationId,
          },
          progress,
        );
        return { restored: outcome.restored, databases: outcome.databases } satisfies BackupRestoreResultV1;
      }
      case 'prune': {
        const policy = await retentionPolicy(this.config, this.settings);
        const outcome = await jobs.prune(await this.catalogue.all(), policy, cmd.operationId, cmd.dryRun, progress);
        return { ...outcome } satisfies BackupPruneResultV1;
      }
    }
  }

  /** A create whose worker died: completed if its manifest made it to the bucket, failed otherwise. */
  private async settleInterruptedCreate(
    cmd: Extract<BackupOperationCommandV1, { kind: 'create' }>,
  ): Promise<Record<string, unknown>> {
    const jobs = this.opened();
    const c = this.config;
    const base =
      (await this.catalogue.get(cmd.backupId)) ??
      jobs.creatingRecord({
        id: cmd.backupId,
        type: cmd.type,
        trigger: cmd.trigger,
        description: cmd.description,
        compress: cmd.compress,
        component: c.BACKUP_COMPONENT,
        componentVersion: await this.catalogue.componentVersion(c.BACKUP_COMPONENT),
        nodeId: null,
      });
    const settled = await jobs.settleInterrupted(base);
    if (settled.status === 'failed') throw new Error(settled.error ?? 'interrupted');
    return { backupId: settled.id, backup: settled };
  }

  private opened(): BackupJobs {
    if (!this.jobs) throw new Error('backup jobs are not open yet; BackupOperationsService.open() runs at startup');
    return this.jobs;
  }

  private async known(backupId: string): Promise<BackupRecordV1> {
    const b = await this.catalogue.get(backupId);
    if (!b) throw new Error(`backup ${backupId} is not in the catalogue; see lockstep backup list`);
    return b;
  }

  /**
   * Writes progress to the operation row and publishes it, in order. The engine already
   * reports at most every 250 ms (plus the first and last report), so every report is kept.
   */
  private progressReporter(
    operationId: string,
    kind: BackupOperationCommandV1['kind'],
    backupId: string | null,
  ): (p: JobProgress) => void {
    let chain = Promise.resolve();
    return (p) => {
      chain = chain
        .then(async () => {
          await this.operations.progress(operationId, p.step, p.percent, p.message);
          await this.publisher.publish(Subjects.BackupProgress, {
            operationId,
            kind,
            backupId,
            nodeId: null,
            step: p.step,
            percent: p.percent,
            message: p.message,
          });
        })
        .catch((err: Error) => this.logger.debug(`progress of ${operationId} not recorded: ${err.message}`));
    };
  }
}
