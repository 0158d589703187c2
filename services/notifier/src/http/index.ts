/** Delivery primitives of the notifier: the sender (through the @lockstep/net-guard destination guard) and retry timing. */
export * from './delivery.types';
export * from './http-sender';
export * from './retry-after';
export * from './retry-schedule';
