export * from './program';
export * from './context';
export * from './errors';
export * from './output';
export * from './api-client';
