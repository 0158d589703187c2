import { Injectable } from '@nestjs/common';
import { Subjects, type BackupChangedV1, type CloudEvent } from '@lockstep/contracts';
import { OnEvent } from '@lockstep/messaging';
import { BackupCatalogue } from './backup-catalogue';

/** Events the backup service consumes. */
export const BACKUP_SUBJECTS = [Subjects.BackupChanged];

/**
 * Records catalogue changes announced by whoever ran a backup: node agents (pre-update
 * backups, restores) and this service itself (a no-op then: the change is already there).
 */
@Injectable()
export class BackupEventsHandler {
  constructor(private readonly catalogue: BackupCatalogue) {}

  @OnEvent(Subjects.BackupChanged)
  async onChanged(event: CloudEvent): Promise<void> {
    await this.catalogue.record((event.data as BackupChangedV1).backup);
  }
}
