import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PlatformModule } from '@lockstep/platform';
import { API_CONFIG, type ApiConfig } from './api.config';
import { AuditController } from './audit/audit.controller';
import { AuditRepository } from './audit/audit.repository';
import { AuditService } from './audit/audit.service';
import { BackupOperationsController, BackupsController } from './backups/backups.controller';
import { BackupsRepository } from './backups/backups.repository';
import { BackupsService } from './backups/backups.service';
import { apiClockProvider } from './clock/api-clock';
import { ChecksController, ComponentsController } from './components/components.controller';
import { ComponentsRepository } from './components/components.repository';
import { ComponentsService } from './components/components.service';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { OutboxDeadLettersRepository } from './dead-letters/outbox-dead-letters.repository';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveriesRepository } from './deliveries/deliveries.repository';
import { DeliveriesService } from './deliveries/deliveries.service';
import { AccessGuard } from './http/access.guard';
import { AccessTargetsRepository } from './http/access-targets.repository';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { QueryGateway, queryClientProvider } from './http/query-gateway';
import { REFUSAL_AUDIT } from './http/request-actor';
import { LockAuditRepository } from './locks/lock-audit.repository';
import { LocksController } from './locks/locks.controller';
import { LocksRepository } from './locks/locks.repository';
import { LocksService } from './locks/locks.service';
import { NodesController } from './nodes/nodes.controller';
import { UpdatesController } from './updates/updates.controller';
import { NodesRepository } from './nodes/nodes.repository';
import { NodesService } from './nodes/nodes.service';
import { OpenApiController } from './openapi/openapi.controller';
import { PolicyController } from './policy/policy.controller';
import { PolicyRepository } from './policy/policy.repository';
import { PolicyService } from './policy/policy.service';
import { ReleasesController } from './releases/releases.controller';
import { ReleasesRepository } from './releases/releases.repository';
import { ReleasesService } from './releases/releases.service';
import { RollbacksController, RolloutsController } from './rollouts/rollouts.controller';
import { RolloutsRepository } from './rollouts/rollouts.repository';
import { RolloutsService } from './rollouts/rollouts.service';
import { SchedulesController, WindowsController } from './schedules/schedules.controller';
import { SchedulesRepository } from './schedules/schedules.repository';
import { SchedulesService } from './schedules/schedules.service';
import { WindowsService } from './schedules/windows.service';
import { SecretsController } from './secrets/secrets.controller';
import { SecretsService } from './secrets/secrets.service';
import { SettingsController } from './settings/settings.controller';
import { SettingsRepository } from './settings/settings.repository';
import { SettingsService } from './settings/settings.service';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository';
import { SubscriptionsService } from './subscriptions/subscriptions.service';
import { TokenBootstrap } from './tokens/token-bootstrap';
import { TokensController } from './tokens/tokens.controller';
import { TokensRepository } from './tokens/tokens.repository';
import { BOOTSTRAP_TOKEN_FILE, TokensService } from './tokens/tokens.service';
import { HoldsController, UpdateApprovalsController } from './updates/update-decisions.controller';
import { UpdateDecisionsRepository } from './updates/update-decisions.repository';
import { UpdateDecisionsService } from './updates/update-decisions.service';

/** Every REST controller of the API. */
export const API_CONTROLLERS = [
  ComponentsController,
  ChecksController,
  ReleasesController,
  SubscriptionsController,
  DeliveriesController,
  DeadLettersController,
  SecretsController,
  NodesController,
  UpdatesController,
  RolloutsController,
  RollbacksController,
  LocksController,
  BackupsController,
  BackupOperationsController,
  TokensController,
  PolicyController,
  AuditController,
  UpdateApprovalsController,
  HoldsController,
  SchedulesController,
  WindowsController,
  SettingsController,
  OpenApiController,
];

/** The API's providers besides its config: the one exception filter, the access guard, the query client and each capability's service and repository. */
export const API_PROVIDERS = [
  { provide: APP_FILTER, useClass: ApiExceptionFilter },
  { provide: APP_GUARD, useClass: AccessGuard },
  AccessTargetsRepository,
  TokensRepository,
  TokensService,
  queryClientProvider,
  QueryGateway,
  ComponentsRepository,
  ComponentsService,
  ReleasesRepository,
  ReleasesService,
  SubscriptionsRepository,
  SubscriptionsService,
  DeliveriesRepository,
  DeliveriesService,
  DeadLettersService,
  OutboxDeadLettersRepository,
  SecretsService,
  NodesRepository,
  NodesService,
  RolloutsRepository,
  RolloutsService,
  LocksRepository,
  LockAuditRepository,
  LocksService,
  BackupsRepository,
  BackupsService,
  PolicyRepository,
  PolicyService,
  AuditRepository,
  AuditService,
  UpdateDecisionsRepository,
  UpdateDecisionsService,
  { provide: REFUSAL_AUDIT, useExisting: AuditService },
  apiClockProvider,
  SchedulesRepository,
  SchedulesService,
  WindowsService,
  SettingsRepository,
  SettingsService,
];

/**
 * The API: REST under /v1; reads Postgres and the NODES/LOCKS buckets, asks the checker,
 * notifier and scheduler over NATS, and runs the outbox relay that publishes the backup
 * commands it records (each service relays only its own outbox rows: its NATS user may
 * publish nothing else, see publishedSubjectsOf).
 */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forService({ service: 'api', config, relay: true })],
      controllers: API_CONTROLLERS,
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: BOOTSTRAP_TOKEN_FILE, useValue: config.API_BOOTSTRAP_TOKEN_FILE || undefined },
        TokenBootstrap,
        ...API_PROVIDERS,
      ],
    };
  }
}
