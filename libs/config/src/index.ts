export * from './load-config';
export * from './common';
export * from './default-credentials';
export * from './secret-key';
