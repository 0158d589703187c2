export * from './settings';
export { type JobProgress, type ControlPlaneDatabase, BackupJobs, refuseForeign } from './backup-jobs';
export { sameDatabase, sameDatabaseServer, readDatabaseIdentity } from './database-identity';
export { BackupJobErrorCode } from './errors';
export { newBackupRecord } from './backup-records';
export { targetsFromSettings, openBackupJobs } from './open-backup-jobs';
export { retryFor } from './retry';
