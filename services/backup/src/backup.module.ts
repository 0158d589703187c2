import { Module, type DynamicModule } from '@nestjs/common';
import { openBackupJobs } from '@lockstep/backup-jobs';
import { PlatformModule } from '@lockstep/platform';
import { BACKUP_CONFIG, type BackupServiceConfig } from './backup.config';
import { BackupCatalogue } from './catalogue/backup-catalogue';
import { BackupCatalogueService } from './catalogue/backup-catalogue.service';
import { BACKUP_SUBJECTS, BackupEventsHandler } from './catalogue/backup-events.handler';
import { BackupOperationsRepository } from './operations/backup-operations.repository';
import { BackupOperationsHandler } from './operations/backup-operations.handler';
import { BackupOperationsService, OPEN_BACKUP_JOBS } from './operations/backup-operations.service';
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
        BackupCatalogueService,
        BackupEventsHandler,
        { provide: OPEN_BACKUP_JOBS, useValue: openBackupJobs },
        BackupOperationsRepository,
        BackupOperationsService,
        BackupOperationsHandler,
        BackupScheduler,
      ],
    };
  }
}
