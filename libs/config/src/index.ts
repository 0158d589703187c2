export * from './load-config';
export * from './env';
export * from './nats-settings';
export * from './common';
export * from './default-credentials';
export * from './secret-key';
