import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { systemActor } from '@lockstep/contracts';
import { enqueueBackupOperation, SettingsReader, type SettingsSource } from '@lockstep/persistence';
import { DataSource } from 'typeorm';
import { BACKUP_CONFIG, type BackupServiceConfig } from '../backup.config';
import { retainsSelectively, retentionPolicy } from '../operations/retention-policy';
import { slotAt } from './backup-schedule';

/**
 * Scheduled backups (BACKUP_SCHEDULE): in every slot, one backup of the service's targets
 * with trigger `schedule`, then — when retention is set — a prune. They go through the
 * same queue as operator requests, so they never overlap a backup, restore or prune, and
 * replicas record each slot once. A slot missed while no replica ran is taken at start.
 */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackupScheduler.name);
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lastSlot?: string;

  constructor(
    @Inject(BACKUP_CONFIG) private readonly config: BackupServiceConfig,
    private readonly ds: DataSource,
    @Inject(SettingsReader) private readonly settings: SettingsSource,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.BACKUP_SCHEDULE;
    if (!interval) return;
    const every = Math.min(60_000, Math.max(1_000, Math.floor(interval / 10)));
    this.ticking = this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.tick();
    }, every);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  /** Records the current slot's backup (and prune) unless already recorded. */
  async tick(now = new Date()): Promise<void> {
    const c = this.config;
    const retention = retainsSelectively(await retentionPolicy(c, this.settings));
    const slot = slotAt(now, {
      intervalMs: c.BACKUP_SCHEDULE!,
      namespace: c.NATS_NAMESPACE,
      type: c.BACKUP_SCHEDULE_TYPE,
      prune: retention,
    });
    if (slot.create.backupId === this.lastSlot) return;
    try {
      const created = await enqueueBackupOperation(this.ds, slot.create, systemActor('backup'));
      if ('operation' in created) {
        this.logger.log(`scheduled backup ${slot.create.backupId} queued`);
        if (slot.prune) await enqueueBackupOperation(this.ds, slot.prune, systemActor('backup'));
      }
      this.lastSlot = slot.create.backupId;
    } catch (err) {
      this.logger.warn(
        `could not queue scheduled backup ${slot.create.backupId}, will try again: ${(err as Error).message}`,
      );
    }
  }
}
