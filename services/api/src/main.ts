import { runService } from '@lockstep/platform';
import { ApiModule } from './api.module';
import { loadApiConfig, type ApiConfig } from './api.config';

void runService({
  name: 'api',
  loadConfig: loadApiConfig,
  module: (config) => ApiModule.forRoot(config as ApiConfig),
});
