/** Delivery primitives of the notifier: SSRF guard, pinned keep-alive sender, retry timing. */
export * from './address-class';
export * from './agent-pool';
export * from './allow-list';
export * from './delivery.types';
export * from './destination-guard';
export * from './http-sender';
export * from './ip-address';
export * from './retry-after';
export * from './retry-schedule';
