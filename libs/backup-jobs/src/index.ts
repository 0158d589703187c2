export * from './settings';
export * from './backup-targets';
export * from './repository-lock';
export * from './stored-frames';
export * from './backup-jobs';
export * from './errors';
export { newBackupRecord } from './backup-records';
export * from './open-backup-jobs';
export * from './retry';
