import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@lockstep/platform';
import { BACKUP_CONFIG, type BackupServiceConfig } from './backup.config';
import { BackupCatalogue } from './catalogue/backup-catalogue';
import { BACKUP_SUBJECTS, BackupEventsHandler } from './catalogue/backup-events.handler';
import { BackupOperationsRepository } from './operations/backup-operations.repository';
import { BackupOperationsWorker } from './operations/backup-operations.worker';
import { BackupScheduler } from './schedule/backup-scheduler.service';

/**
 * The backup service: keeps the backup catalogue (its own backups and those node agents
 * report) and runs operator-requested backups, verifies, restores and prunes.
 */
@Module({})
export class BackupModule {
  static forRoot(config: BackupServiceConfig): DynamicModule {
    return {
      module: BackupModule,
      imports: [
        PlatformModule.forService({
          service: 'backup',
          config: { ...config, S3_BUCKET: config.BACKUP_BUCKET },
          handles: BACKUP_SUBJECTS,
          objectStore: true,
        }),
      ],
      providers: [
        { provide: BACKUP_CONFIG, useValue: config },
        BackupCatalogue,
        BackupEventsHandler,
        BackupOperationsRepository,
        BackupOperationsWorker,
        BackupScheduler,
      ],
    };
  }
}
