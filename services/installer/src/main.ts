import type { CommonConfig } from '@lockstep/config';
import { runService } from '@lockstep/platform';
import { InstallerModule } from './installer.module';
import { loadInstallerConfig, type InstallerConfig } from './installer.config';

void runService({
  name: 'installer',
  // runService only reads the NATS/HTTP/log settings; the agent has no DATABASE_URL.
  loadConfig: () => loadInstallerConfig() as unknown as CommonConfig,
  module: (config) => InstallerModule.forRoot(config as unknown as InstallerConfig),
});
