import { Injectable } from '@nestjs/common';
import { Subjects, type BackupChangedV1, type CloudEvent } from '@lockstep/contracts';
import { EventConsumers, OnEvent } from '@lockstep/messaging';
import { BackupCatalogueService } from './backup-catalogue.service';

/** Events the backup service consumes (its row of EventConsumers, which grants its NATS rights). */
export const BACKUP_SUBJECTS = [...EventConsumers.backup];

/** Records catalogue changes announced by whoever ran a backup. */
@Injectable()
export class BackupEventsHandler {
  constructor(private readonly catalogue: BackupCatalogueService) {}

  @OnEvent(Subjects.BackupChanged)
  async onChanged(event: CloudEvent): Promise<void> {
    await this.catalogue.recordAnnounced((event.data as BackupChangedV1).backup);
  }
}
