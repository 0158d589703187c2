import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BackupJobs, openBackupJobs, type JobProgress } from '@lockstep/backup-jobs';
import {
  BackupOperationCommandV1,
  BackupSubjects,
  backupChangedEventId,
  formatIssues,
  Subjects,
  type BackupCreateResultV1,
  type BackupPruneResultV1,
  type BackupRecordV1,
  type BackupRestoreResultV1,
  type BackupVerifyResultV1,
} from '@lockstep/contracts';
import { CommandConsumer, EventPublisher, NatsClient, type CommandOutcome } from '@lockstep/messaging';
import type { JsMsg } from '@nats-io/jetstream';
import { BACKUP_CONFIG, type BackupServiceConfig } from '../backup.config';
import { BackupCatalogue } from '../catalogue/backup-catalogue';
import { BackupOperationsRepository } from './backup-operations.repository';

/** Durable consumer of backup operation commands (shared by every backup service replica). */
export const BACKUP_OPERATIONS_CONSUMER = 'backup-operations';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Runs operator-requested backup operations (create, verify, restore, prune) from
 * `cmd.backup.operation.v1`, one at a time across replicas. The API recorded each one
 * `queued` in the same transaction as its command, so none is lost. The message is acked
 * only after the outcome is recorded; a worker killed mid-operation gets the message back
 * (on another replica or after restart): a create is then recorded failed — nothing was
 * committed unless its manifest exists, in which case it is recorded completed — while
 * verify, restore and prune, which are safe to repeat, run again.
 */
@Injectable()
export class BackupOperationsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackupOperationsWorker.name);
  private consumer?: CommandConsumer;
  private jobs?: BackupJobs;
  private readonly inFlight = new AbortController();

  constructor(
    @Inject(BACKUP_CONFIG) private readonly config: BackupServiceConfig,
    private readonly nats: NatsClient,
    private readonly publisher: EventPublisher,
    private readonly catalogue: BackupCatalogue,
    private readonly operations: BackupOperationsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.connect();
    const c = this.config;
    this.jobs = await openBackupJobs({
      nc: this.nats.nc,
      namespace: c.NATS_NAMESPACE,
      holder: c.BACKUP_REPLICA_ID,
      settings: c,
      s3: { endpoint: c.S3_ENDPOINT, accessKey: c.S3_ACCESS_KEY, secretKey: c.S3_SECRET_KEY },
      leaseMs: c.BACKUP_LOCK_LEASE,
      replicas: c.NATS_REPLICAS,
      record: (b) => this.record(b),
    });
    this.consumer = new CommandConsumer(
      this.nats.js,
      this.nats.jsm,
      {
        namespace: c.NATS_NAMESPACE,
        stream: this.nats.stream('COMMANDS'),
        durable: BACKUP_OPERATIONS_CONSUMER,
        filterSubject: this.nats.subject(BackupSubjects.operation),
        deliverPolicy: 'all',
        ackWaitMs: c.BACKUP_ACK_WAIT,
        maxAckPending: 1,
      },
      (msg) => this.handle(msg),
      this.logger,
    );
    await this.consumer.ensure();
    this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.consumer?.halt();
    await this.consumer?.stop();
  }

  /** Records a catalogue change and announces it. */
  async record(backup: BackupRecordV1): Promise<void> {
    if (await this.catalogue.record(backup)) {
      await this.publisher
        .publish(Subjects.BackupChanged, { backup }, { id: backupChangedEventId(backup), subject: backup.id })
        .catch((err: Error) => {
          this.logger.warn(
            `backup ${backup.id} is recorded ${backup.status}, but the event was not published: ${err.message}`,
          );
        });
    }
  }

  private async handle(msg: JsMsg): Promise<CommandOutcome> {
    let cmd: BackupOperationCommandV1;
    try {
      const parsed = BackupOperationCommandV1.safeParse(msg.json());
      if (!parsed.success)
        return {
          kind: 'invalid',
          reason: `not a backup operation: ${formatIssues(parsed.error)}`,
        };
      cmd = parsed.data;
    } catch (err) {
      return { kind: 'invalid', reason: `not JSON: ${messageOf(err)}` };
    }
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
    const jobs = this.jobs!;
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
          this.inFlight.signal,
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
          { what: cmd.what, to: cmd.to, databaseMode: cmd.databaseMode, operationId: cmd.operationId },
          progress,
        );
        return { restored: outcome.restored, databases: outcome.databases } satisfies BackupRestoreResultV1;
      }
      case 'prune': {
        const c = this.config;
        const policy = {
          keepLast: c.BACKUP_KEEP_LAST || undefined,
          maxAgeMs: c.BACKUP_MAX_AGE,
          keepDaily: c.BACKUP_KEEP_DAILY || undefined,
          keepWeekly: c.BACKUP_KEEP_WEEKLY || undefined,
          keepMonthly: c.BACKUP_KEEP_MONTHLY || undefined,
        };
        const outcome = await jobs.prune(await this.catalogue.all(), policy, cmd.operationId, cmd.dryRun, progress);
        return { ...outcome } satisfies BackupPruneResultV1;
      }
    }
  }

  /** A create whose worker died: completed if its manifest made it to the bucket, failed otherwise. */
  private async settleInterruptedCreate(
    cmd: Extract<BackupOperationCommandV1, { kind: 'create' }>,
  ): Promise<Record<string, unknown>> {
    const jobs = this.jobs!;
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
