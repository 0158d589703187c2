export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './outbox/outbox';
export * from './outbox/outbox-relay';
export * from './persistence.module';
export * from './backups/backup-operations';
export * from './backups/backup-record';
