import { runService } from '@lockstep/platform';
import { BackupModule } from './backup.module';
import { loadBackupConfig, type BackupServiceConfig } from './backup.config';

void runService({
  name: 'backup',
  loadConfig: loadBackupConfig,
  module: (config) => BackupModule.forRoot(config as BackupServiceConfig),
});
