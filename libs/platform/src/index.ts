export * from './health.controller';
export * from './bootstrap';
export * from './platform.module';
