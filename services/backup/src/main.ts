import { z } from 'zod';
import { commonSchema, loadConfig } from '@lockstep/config';
import { runService } from '@lockstep/platform';
import { BackupModule } from './backup.module';

void runService({
  name: 'backup',
  loadConfig: () => loadConfig('backup', z.object(commonSchema)),
  module: (config) => BackupModule.forRoot(config),
});
