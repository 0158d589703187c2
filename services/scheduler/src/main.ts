import { runService } from '@lockstep/platform';
import { SchedulerModule } from './scheduler.module';
import { loadSchedulerConfig, type SchedulerConfig } from './scheduler.config';

void runService({
  name: 'scheduler',
  loadConfig: loadSchedulerConfig,
  queries: true,
  module: (config) => SchedulerModule.forRoot(config as SchedulerConfig),
});
