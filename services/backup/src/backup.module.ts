import { Module, type DynamicModule } from '@nestjs/common';
import type { CommonConfig } from '@lockstep/config';
import { PlatformModule } from '@lockstep/platform';

/** The backup service. It boots, answers health checks and waits for its capability's issue. */
@Module({})
export class BackupModule {
  static forRoot(config: CommonConfig): DynamicModule {
    return { module: BackupModule, imports: [PlatformModule.forService({ service: 'backup', config, relay: false })] };
  }
}
