import { Module, type DynamicModule } from '@nestjs/common';
import { NatsClient, QueryClient } from '@lockstep/messaging';
import { PlatformModule } from '@lockstep/platform';
import { CLOCK, SystemClock } from './clock/clock.port';
import { CALENDAR, FileCalendar, systemCalendar } from './clock/calendar.port';
import { AutomaticUpdates } from './automation/automatic-updates.service';
import { AutomationRepository } from './automation/automation.repository';
import { AutomationSettings } from './automation/automation-settings';
import { UpdatesHandler } from './automation/updates.handler';
import { FleetLockAdapter } from './fleet/fleet-lock.adapter';
import { NodeCommander } from './fleet/node-commander';
import { FleetView } from './fleet/fleet-view.service';
import { ComponentVersionsRepository } from './fleet/component-versions.repository';
import { ComponentVersions } from './fleet/component-versions.service';
import { NodeLivenessWatcher } from './fleet/node-liveness.service';
import { NodeRemovalService } from './fleet/node-removal.service';
import { NodesHandler } from './fleet/nodes.handler';
import { NodesRepository } from './fleet/nodes.repository';
import { CLUSTER_LOCK } from './rollouts/cluster-lock.port';
import { CommandWithdrawalRepository } from './rollouts/command-withdrawal.repository';
import { CommandWithdrawals } from './rollouts/command-withdrawals.service';
import { InstallEventsHandler, SCHEDULER_SUBJECTS } from './rollouts/install-events.handler';
import { InstallOutcomesRepository } from './rollouts/install-outcomes.repository';
import { InstallOutcomesService } from './rollouts/install-outcomes.service';
import { ReleaseInfoRepository, SCHEDULER_QUERIES } from './rollouts/release-info.repository';
import { RolloutConductor } from './rollouts/rollout-conductor.service';
import { RolloutReconciler } from './rollouts/rollout-reconciler.service';
import { AuditRepository } from './audit/audit.repository';
import { RolloutRepository } from './rollouts/rollout.repository';
import { RolloutsHandler } from './rollouts/rollouts.handler';
import { RolloutsService } from './rollouts/rollouts.service';
import { DeadLetterStream } from './dead-letters/dead-letter-stream.repository';
import { DeadLettersHandler } from './dead-letters/dead-letters.handler';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { OutboxDeadLettersRepository } from './dead-letters/outbox-dead-letters.repository';
import { SCHEDULER_CONFIG, type SchedulerConfig } from './scheduler.config';

/** The scheduler: plans rollouts and conducts them under the cluster lock. */
@Module({})
export class SchedulerModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [
        PlatformModule.forService({ service: 'scheduler', config, handles: SCHEDULER_SUBJECTS, topology: 'manage' }),
      ],
      controllers: [RolloutsHandler, DeadLettersHandler, NodesHandler, UpdatesHandler],
      providers: [
        { provide: SCHEDULER_CONFIG, useValue: config },
        { provide: CLOCK, useClass: SystemClock },
        {
          provide: CALENDAR,
          useValue: config.SCHEDULER_TEST_CALENDAR_FILE
            ? new FileCalendar(config.SCHEDULER_TEST_CALENDAR_FILE)
            : systemCalendar,
        },
        AutomationRepository,
        AutomationSettings,
        AutomaticUpdates,
        {
          provide: SCHEDULER_QUERIES,
          useFactory: () => new QueryClient(config.NATS_NAMESPACE, config),
        },
        {
          provide: CLUSTER_LOCK,
          useFactory: (nats: NatsClient) => new FleetLockAdapter(nats, config),
          inject: [NatsClient],
        },
        FleetView,
        ComponentVersions,
        ComponentVersionsRepository,
        NodeCommander,
        RolloutRepository,
        CommandWithdrawalRepository,
        CommandWithdrawals,
        AuditRepository,
        ReleaseInfoRepository,
        RolloutConductor,
        RolloutReconciler,
        RolloutsService,
        InstallOutcomesRepository,
        InstallOutcomesService,
        InstallEventsHandler,
        DeadLetterStream,
        OutboxDeadLettersRepository,
        DeadLettersService,
        NodesRepository,
        NodeRemovalService,
        NodeLivenessWatcher,
      ],
    };
  }
}
