import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@lockstep/platform';
import { AgentHost } from './agent/agent-host.service';
import { INSTALLER_CONFIG, type InstallerConfig } from './installer.config';

/** The installer: the node agent, one process per node. NATS only, no Postgres. */
@Module({})
export class InstallerModule {
  static forRoot(config: InstallerConfig): DynamicModule {
    return {
      module: InstallerModule,
      imports: [
        PlatformModule.forService({ service: 'installer', config, database: false, relay: false, topology: 'use' }),
      ],
      providers: [{ provide: INSTALLER_CONFIG, useValue: config }, AgentHost],
    };
  }
}
