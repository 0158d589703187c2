export * from './settings';
export { type JobProgress, BackupJobs, refuseForeign } from './backup-jobs';
export { BackupJobErrorCode } from './errors';
export { newBackupRecord } from './backup-records';
export { targetsFromSettings, openBackupJobs } from './open-backup-jobs';
export { retryFor } from './retry';
