import { runService } from '@lockstep/platform';
import { CheckerModule } from './checker.module';
import { loadCheckerConfig, type CheckerConfig } from './checker.config';

void runService({
  name: 'checker',
  loadConfig: loadCheckerConfig,
  queries: true,
  module: (config) => CheckerModule.forRoot(config as CheckerConfig),
});
