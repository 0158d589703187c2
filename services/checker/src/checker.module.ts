import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@lockstep/platform';
import { CHECKER_CONFIG, type CheckerConfig } from './checker.config';
import { CheckPoller } from './checks/check-poller.service';
import { CheckRepository } from './checks/check.repository';
import { ChecksHandler } from './checks/checks.handler';
import { ChecksService } from './checks/checks.service';
import { ReleaseCheckService } from './checks/release-check.service';
import { ComponentsService } from './components/components.service';
import { CHECKER_CLOCK, systemClock } from './freshness/checker-clock';
import { MetadataFreshnessPoller } from './freshness/metadata-freshness.poller';
import { MetadataFreshnessRepository } from './freshness/metadata-freshness.repository';
import { MetadataFreshnessService } from './freshness/metadata-freshness.service';

/** The checker: polls release sources, announces verified new releases once, and keeps TUF metadata fresh. */
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
        { provide: CHECKER_CLOCK, useValue: systemClock },
        MetadataFreshnessRepository,
        MetadataFreshnessService,
        MetadataFreshnessPoller,
      ],
    };
  }
}
