import { runService } from '@lockstep/platform';
import { NotifierModule } from './notifier.module';
import { loadNotifierConfig, type NotifierConfig } from './notifier.config';

void runService({
  name: 'notifier',
  loadConfig: loadNotifierConfig,
  queries: true,
  module: (config) => NotifierModule.forRoot(config as NotifierConfig),
});
