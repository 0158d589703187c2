export { NATS_CONNECTION_DEFAULTS, NatsClient } from './nats-client';
export * from './nats-connection';
export * from './nats-connect-failure';
export { ensureFleetTopology, ensureStreams } from './jetstream-topology';
export * from './event-publisher';
export { type HandlerOutcome, OnEvent } from './on-event.decorator';
export { HandlerRegistrationError } from './event-consumer.host';
export * from './query-transport';
export * from './messaging.module';
export * from './node-directory';
export {
  type CommandOutcome,
  CommandConsumer,
  ConsumerMissingError,
  createCommandConsumer,
  nodeCommandConsumerOptions,
  NODE_COMMAND_ACK_WAIT_MS,
} from './command-consumer';
export * from './dead-letter-recorder';
export * from './nats-permissions';
export * from './service-consumers';
export { isInfrastructureOutage } from './outage';
