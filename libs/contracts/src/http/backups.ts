import { z } from 'zod';
import {
  BackupName,
  BackupOperationKinds,
  BackupOperationStates,
  BackupRecordV1,
  BackupStatuses,
  BackupTypes,
  DatabaseRestoreModes,
  RestoreParts,
} from '../backups';

const oneOf = (name: string, values: readonly string[]) => ({ message: `${name} must be one of ${values.join(', ')}` });

/** A backup id in a path: the name `GET /v1/backups` shows. */
export const BackupIdParam = BackupName;

/** An operation id in a path: the UUID `POST /v1/backups…` answered. */
export const BackupOperationIdParam = z.uuid({
  message: 'expected a backup operation id (a UUID, as the POST that queued it answered)',
});

/** How far back `GET /v1/backups` looks. */
export const BackupSinceValues = ['7d', '30d', '90d', 'all'] as const;
export type BackupSince = (typeof BackupSinceValues)[number];

/** How `GET /v1/backups` orders: newest, largest, by name, by type (then newest). */
export const BackupSortValues = ['date', 'size', 'name', 'type'] as const;
export type BackupSort = (typeof BackupSortValues)[number];

/** Most backups one list answers. */
export const BACKUP_LIST_MAX = 50;
const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${BACKUP_LIST_MAX}`;

/** Codes of the API's refusals of backup requests, besides its own (wire names; the status in brackets). */
export const BackupRequestErrorCode = {
  /** The name is in the catalogue or a queued/running create uses it (409). */
  NameTaken: 'BACKUP_NAME_TAKEN',
  /** The backup's status does not allow the operation (409). */
  InvalidState: 'BACKUP_INVALID_STATE',
  /** A restore without `confirm: true` (400). */
  ConfirmRequired: 'CONFIRM_REQUIRED',
  /** The restore asks for a part the backup's type does not hold (400). */
  PartMissing: 'BACKUP_PART_MISSING',
  /** In-place restore of a node agent's backup through the backup service, which cannot reach that node's files (400). */
  NodeLocal: 'BACKUP_NODE_LOCAL',
} as const;
export type BackupRequestErrorCode = (typeof BackupRequestErrorCode)[keyof typeof BackupRequestErrorCode];

/** Query of `GET /v1/backups`. */
export const ListBackupsQuery = z.strictObject({
  /** Only backups of this type. */
  type: z.enum(BackupTypes, oneOf('type', BackupTypes)).optional(),
  /** Only backups in this status. */
  status: z.enum(BackupStatuses, oneOf('status', BackupStatuses)).optional(),
  /** Only backups of this node's files. */
  node: z.string().min(1).max(200).optional(),
  /** Only backups taken in the last 7, 30 or 90 days (default all). */
  since: z.enum(BackupSinceValues, oneOf('since', BackupSinceValues)).default('all'),
  /** date: newest first; size: largest first; name: A→Z; type: grouped by type, newest first within. */
  sort: z.enum(BackupSortValues, oneOf('sort', BackupSortValues)).default('date'),
  /** Most backups answered (1..50, default 20). */
  limit: z.coerce
    .number({ message: LIMIT_MESSAGE })
    .int({ message: LIMIT_MESSAGE })
    .min(1, { message: LIMIT_MESSAGE })
    .max(BACKUP_LIST_MAX, { message: LIMIT_MESSAGE })
    .default(20),
});
export type ListBackupsQuery = z.infer<typeof ListBackupsQuery>;

/** Body of `POST /v1/backups`. */
export const CreateBackupBody = z.strictObject({
  /** What to back up (default full). */
  type: z
    .enum(BackupTypes, oneOf('type', BackupTypes))
    .default('full')
    .describe('what to back up: full (databases, config and data), database, config or data_only'),
  /** The backup's name (default `backup_YYYYMMDD_HHMMSS`, UTC). */
  name: BackupName.optional().describe('the backup name (default backup_YYYYMMDD_HHMMSS, UTC); must not be taken'),
  /** Free text shown with the backup. */
  description: z.string().max(1000).default(''),
  /** Also back up the log directories. */
  includeLogs: z.boolean().default(false).describe('also back up the log directories'),
  /** Compress the chunks (default true). */
  compress: z.boolean().default(true),
});
export type CreateBackupBody = z.infer<typeof CreateBackupBody>;

/** Body of `POST /v1/backups/:id/restore`. */
export const RestoreBackupBody = z.strictObject({
  /** Which part of the backup to bring back. */
  what: z.enum(RestoreParts, oneOf('what', RestoreParts)).describe('which part of the backup to bring back'),
  /** Restore files under this directory instead of their original places; it must not exist or be empty. */
  to: z
    .string()
    .max(4096)
    .refine((p) => p.startsWith('/'), { message: 'must be an absolute directory (starting with /)' })
    .optional()
    .describe(
      'restore files under this directory instead of their original places; it must not exist or be empty (nothing in it is ever replaced or deleted)',
    ),
  /** Keep setuid/setgid bits of restored files (default false: cleared). */
  keepSpecialBits: z
    .boolean()
    .optional()
    .describe('keep the setuid and setgid bits restored files were backed up with (default: cleared)'),
  /** replace (default): into the original database; new: into a new database. */
  databaseMode: z
    .enum(DatabaseRestoreModes, oneOf('databaseMode', DatabaseRestoreModes))
    .optional()
    .describe('replace (default): restore into the original database; new: into a new <name>_restored_<time> database'),
  /** Must be true: a restore overwrites what it brings back. */
  confirm: z
    .boolean()
    .optional()
    .describe(
      'must be true: a restore overwrites the files (and, with databaseMode replace, the database) it brings back',
    ),
});
export type RestoreBackupBody = z.infer<typeof RestoreBackupBody>;

/** Body of `POST /v1/backups/prune`. */
export const PruneBackupsBody = z.strictObject({
  /** Only plan: report what retention would keep and remove. */
  dryRun: z.boolean().default(false).describe('only plan: report what retention would keep and remove, remove nothing'),
});
export type PruneBackupsBody = z.infer<typeof PruneBackupsBody>;

/** One backup operation as the API shows it. */
export const BackupOperationView = z.object({
  /** The operation's id (a UUID). */
  id: z.string(),
  /** create, verify, restore or prune. */
  kind: z.enum(BackupOperationKinds),
  /** The backup it creates, verifies or restores; null for prune. */
  backupId: z.string().nullable(),
  /** queued → running → succeeded | failed. */
  state: z.enum(BackupOperationStates),
  /** The step the backup service reported last. */
  step: z.string().nullable(),
  /** 0..100 over the whole operation. */
  percent: z.number().int(),
  /** The backup service's last progress message. */
  message: z.string().nullable(),
  /** Why it failed. */
  error: z.string().nullable(),
  /**
   * What it found or did, once succeeded (a verify also when it found damage): BackupCreateResultV1,
   * BackupVerifyResultV1, BackupRestoreResultV1 or BackupPruneResultV1 by kind.
   */
  result: z.record(z.string(), z.unknown()).nullable(),
  /** When it was queued (RFC 3339). */
  requestedAt: z.string(),
  /** When the backup service started it. */
  startedAt: z.string().nullable(),
  /** When it succeeded or failed. */
  finishedAt: z.string().nullable(),
});
export type BackupOperationView = z.infer<typeof BackupOperationView>;

/** What queueing an operation answers (202). */
export const BackupOperationQueued = z.object({
  /** The queued operation: follow it with `GET /v1/backup-operations/:id`. */
  operation: BackupOperationView,
});
export type BackupOperationQueued = z.infer<typeof BackupOperationQueued>;

/** `GET /v1/backups/:id`: the catalogue entry and the latest operations that touched it, newest first. */
export const BackupDetail = z.object({
  /** The catalogue entry. */
  backup: BackupRecordV1,
  /** The latest operations that touched it, newest first. */
  operations: z.array(BackupOperationView),
});
export type BackupDetail = z.infer<typeof BackupDetail>;
