import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@lockstep/platform';
import { CHECKER_CONFIG, type CheckerConfig } from './checker.config';
import { CheckPoller } from './checks/check-poller.service';
import { CheckRepository } from './checks/check.repository';
import { ChecksHandler } from './checks/checks.handler';
import { ChecksService } from './checks/checks.service';
import { ReleaseCheckService } from './checks/release-check.service';
import { ComponentsService } from './components/components.service';

/** The checker: polls release sources and announces verified new releases once. */
@Module({})
export class CheckerModule {
  static forRoot(config: CheckerConfig): DynamicModule {
    return {
      module: CheckerModule,
      imports: [PlatformModule.forService({ service: 'checker', config, objectStore: true })],
      controllers: [ChecksHandler],
      providers: [
        { provide: CHECKER_CONFIG, useValue: config },
        CheckRepository,
        ReleaseCheckService,
        ChecksService,
        CheckPoller,
        ComponentsService,
      ],
    };
  }
}
