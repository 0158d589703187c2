import { Injectable, Logger } from '@nestjs/common';
import { Subjects, type BackupRecordV1 } from '@lockstep/contracts';
import { EventPublisher } from '@lockstep/messaging';
import { BackupCatalogue } from './backup-catalogue';

/** Keeps the backup catalogue: changes this service makes (announced here) and changes others announced. */
@Injectable()
export class BackupCatalogueService {
  private readonly logger = new Logger(BackupCatalogueService.name);

  constructor(
    private readonly catalogue: BackupCatalogue,
    private readonly publisher: EventPublisher,
  ) {}

  /**
   * Records a change of a backup this service runs and announces it when it moved the entry
   * forward (once per change, so the event gets a random id: one derived from the backup's id,
   * which every agent can read in the lock bucket while it runs, an agent could publish first
   * and JetStream would drop this announcement as its duplicate).
   */
  async record(backup: BackupRecordV1): Promise<void> {
    if (await this.catalogue.record(backup)) {
      await this.publisher.publish(Subjects.BackupChanged, { backup }, { subject: backup.id }).catch((err: Error) => {
        this.logger.warn(
          `backup ${backup.id} is recorded ${backup.status}, but the event was not published: ${err.message}`,
        );
      });
    }
  }

  /**
   * Records a change announced by whoever ran the backup: node agents (pre-update backups,
   * restores) and this service itself (a no-op then: the change is already there).
   */
  async recordAnnounced(backup: BackupRecordV1): Promise<void> {
    await this.catalogue.record(backup);
  }
}
