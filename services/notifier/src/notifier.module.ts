import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@lockstep/platform';
import { DeadLettersHandler } from './deliveries/dead-letters.handler';
import { DeadLettersService } from './deliveries/dead-letters.service';
import { DeliveryRepository } from './deliveries/delivery.repository';
import { DeliveryWorker } from './deliveries/delivery-worker.service';
import { EventRouter } from './deliveries/event-router.service';
import { EventRouterHandler, NOTIFIER_SUBJECTS } from './deliveries/event-router.handler';
import { NOTIFIER_CONFIG, type NotifierConfig } from './notifier.config';
import { secretKeyringProvider } from './secrets/secret-keyring.provider';
import { SealedRowsRepository } from './secrets/sealed-rows.repository';
import { SecretsAtRest } from './secrets/secrets-at-rest.service';
import { SecretsHandler } from './secrets/secrets.handler';
import { SubscriptionRepository } from './subscriptions/subscription.repository';
import { SubscriptionsHandler } from './subscriptions/subscriptions.handler';
import { SubscriptionsService } from './subscriptions/subscriptions.service';

/** The notifier: routes every event to matching subscriptions and delivers it durably. */
@Module({})
export class NotifierModule {
  static forRoot(config: NotifierConfig): DynamicModule {
    return {
      module: NotifierModule,
      imports: [PlatformModule.forService({ service: 'notifier', config, handles: NOTIFIER_SUBJECTS, relay: false })],
      controllers: [SubscriptionsHandler, DeadLettersHandler, SecretsHandler],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        secretKeyringProvider,
        SealedRowsRepository,
        SecretsAtRest,
        SubscriptionRepository,
        SubscriptionsService,
        DeliveryRepository,
        DeliveryWorker,
        DeadLettersService,
        EventRouter,
        EventRouterHandler,
      ],
    };
  }
}
