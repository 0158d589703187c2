import {
  BackupDetailSchema,
  BackupIdParam,
  BackupListSchema,
  BackupOperationIdParam,
  BackupOperationQueuedSchema,
  BackupOperationViewSchema,
  CreateBackupBody,
  ListBackupsQuery,
  PruneBackupsBody,
  RestoreBackupBody,
} from '../backups/backups.schemas';
import type { RouteDoc } from './openapi.document';

/** The backup operations: the catalogue, and create/verify/restore/prune queued for the backup service (202, then follow the operation). */
export const BACKUP_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/backups',
    operationId: 'listBackups',
    summary:
      'The backup catalogue, filtered by type, status, node and age; newest first unless sorted by size, name or type',
    query: ListBackupsQuery,
    status: 200,
    response: BackupListSchema,
  },
  {
    method: 'post',
    path: '/v1/backups',
    operationId: 'createBackup',
    summary:
      'Queue a backup (default name backup_YYYYMMDD_HHMMSS, UTC); follow the operation with GET /v1/backup-operations/{id}',
    body: CreateBackupBody,
    status: 202,
    response: BackupOperationQueuedSchema,
    errors: [409],
  },
  {
    method: 'post',
    path: '/v1/backups/prune',
    operationId: 'pruneBackups',
    summary: 'Queue retention: remove backups (and packs) the policy no longer keeps; with dryRun only report the plan',
    body: PruneBackupsBody,
    status: 202,
    response: BackupOperationQueuedSchema,
  },
  {
    method: 'get',
    path: '/v1/backups/{id}',
    operationId: 'getBackup',
    summary: 'One catalogue entry with the latest 10 operations that touched it',
    pathParams: { id: BackupIdParam },
    status: 200,
    response: BackupDetailSchema,
    errors: [404],
  },
  {
    method: 'post',
    path: '/v1/backups/{id}/verify',
    operationId: 'verifyBackup',
    summary: 'Queue a verify of every pack the backup references (409 while creating, or when failed or pruned)',
    pathParams: { id: BackupIdParam },
    status: 202,
    response: BackupOperationQueuedSchema,
    errors: [404, 409],
  },
  {
    method: 'post',
    path: '/v1/backups/{id}/restore',
    operationId: 'restoreBackup',
    summary:
      'Queue a restore of all or part of a backup (needs confirm: true; 409 when creating, failed, corrupted or pruned)',
    pathParams: { id: BackupIdParam },
    body: RestoreBackupBody,
    status: 202,
    response: BackupOperationQueuedSchema,
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/v1/backup-operations/{id}',
    operationId: 'getBackupOperation',
    summary: 'One backup operation: state, step, percent, message, error and, once succeeded, its result',
    pathParams: { id: BackupOperationIdParam },
    status: 200,
    response: BackupOperationViewSchema,
    errors: [404],
  },
];
