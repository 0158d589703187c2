import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventConsumerHost } from './event-consumer.host';
import { EventPublisher } from './event-publisher';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { NatsClient } from './nats-client';

/** NATS + JetStream for a service: one connection, the publisher and the @OnEvent consumer host. */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, NatsClient, EventPublisher, EventConsumerHost],
      exports: [NatsClient, EventPublisher],
    };
  }
}
