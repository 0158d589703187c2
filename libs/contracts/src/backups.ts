import { z } from 'zod';
import { NodeId } from './fleet';
import { Subjects } from './subjects';

/**
 * Backup contracts. Commands travel on `cmd.backup.*` in the COMMANDS stream and are
 * consumed by the backup service; catalogue changes are `evt.backup.*` events, published
 * by whoever ran the backup (the backup service, or a node agent for a pre-update backup)
 * and recorded in the catalogue by the backup service. WIRE NAMES like Subjects.
 */
export const BackupSubjects = {
  /** Command: run one backup operation (create, verify, restore, prune). */
  operation: 'cmd.backup.operation.v1',
  changed: Subjects.BackupChanged,
  progress: Subjects.BackupProgress,
} as const;

/**
 * The backup service's durable consumer of `cmd.backup.operation.v1` on COMMANDS, shared by
 * its replicas. A WIRE NAME: the backup service's NATS user may pull from this consumer only.
 */
export const BACKUP_OPERATIONS_CONSUMER = 'backup-operations';

/**
 * Prefix of the backup-repository lock keys in the cluster lock bucket: `<prefix>.init`,
 * `<prefix>.shared.<operation>`, `<prefix>.exclusive`. Any other key is a rollout lock. A WIRE
 * NAME: NATS permissions let agents and the backup service write only these keys.
 */
export const BACKUP_LOCK_PREFIX = 'backup-repo';

/** What a backup covers, as operators name it. */
export const BackupTypes = ['full', 'database', 'config', 'data_only'] as const;
export type BackupType = (typeof BackupTypes)[number];

/** Who or what asked for a backup. */
export const BackupTriggers = ['manual', 'pre-update', 'schedule'] as const;
export type BackupTrigger = (typeof BackupTriggers)[number];

/** Catalogue statuses: creating → completed | failed; completed → verified | corrupted; verified ⇄ corrupted on a later verify. */
export const BackupStatuses = ['creating', 'completed', 'failed', 'verified', 'corrupted', 'pruned'] as const;
export type BackupStatus = (typeof BackupStatuses)[number];

/** Parts of a backup a restore can bring back. */
export const RestoreParts = ['all', 'database', 'config', 'data'] as const;
export type RestorePart = (typeof RestoreParts)[number];

/** One part of a backup: its databases, its config files or its data files. */
export type BackupPart = Exclude<RestorePart, 'all'>;

/** The parts each backup type holds, databases first: a full backup holds the databases, the config and the data. */
export const BackupPartsOfType = {
  full: ['database', 'config', 'data'],
  database: ['database'],
  config: ['config'],
  data_only: ['data'],
} as const satisfies Record<BackupType, readonly BackupPart[]>;

/** The parts a backup of `type` holds; none for a type this version does not know (a newer peer's). */
export const backupPartsOf = (type: BackupType): readonly BackupPart[] =>
  (BackupPartsOfType as Partial<Record<string, readonly BackupPart[]>>)[type] ?? [];

/**
 * Codes a restore is refused with before it changes anything (wire values: operation errors,
 * `install.finished` errors): shared by the backup engine, the backup jobs and the node agent.
 */
export const BackupRestoreRefusal = {
  /** `--to DIR` names a directory that holds something (or is not a directory). */
  TargetNotEmpty: 'BACKUP_RESTORE_TARGET_NOT_EMPTY',
  /** A node agent was asked to restore a backup of another node or component. */
  Foreign: 'BACKUP_FOREIGN',
} as const;
export type BackupRestoreRefusal = (typeof BackupRestoreRefusal)[keyof typeof BackupRestoreRefusal];

/** Where a database restore goes: a new `<name>_restored_<time>` database, or the original (in one transaction). */
export const DatabaseRestoreModes = ['new', 'replace'] as const;
export type DatabaseRestoreMode = (typeof DatabaseRestoreModes)[number];

/** Operation kinds the backup service runs. */
export const BackupOperationKinds = ['create', 'verify', 'restore', 'prune'] as const;
export type BackupOperationKind = (typeof BackupOperationKinds)[number];

/** Operation states. */
export const BackupOperationStates = ['queued', 'running', 'succeeded', 'failed'] as const;
export type BackupOperationState = (typeof BackupOperationStates)[number];

/** Backup names: what the engine accepts as an id. */
export const BackupName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'backup names are letters, digits, ".", "_" and "-" (at most 128), starting with a letter or digit',
  );

/** Command `cmd.backup.operation.v1`: one operation, recorded first in `backup_operations` by the API. */
export const BackupOperationCommandV1 = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('create'),
    operationId: z.string().uuid(),
    backupId: BackupName,
    type: z.enum(BackupTypes),
    description: z.string().max(1000).default(''),
    includeLogs: z.boolean().default(false),
    compress: z.boolean().default(true),
    trigger: z.enum(BackupTriggers).default('manual'),
  }),
  z.object({ kind: z.literal('verify'), operationId: z.string().uuid(), backupId: BackupName }),
  z.object({
    kind: z.literal('restore'),
    operationId: z.string().uuid(),
    backupId: BackupName,
    what: z.enum(RestoreParts),
    /** Restore files under this directory instead of their original places; it must not exist or be empty. */
    to: z.string().optional(),
    /** Keep setuid/setgid bits of restored files (default: cleared). */
    keepSpecialBits: z.boolean().default(false),
    /** Database restore: `new` creates `<name>_restored_<time>`; `replace` restores into the original in one transaction. */
    databaseMode: z.enum(DatabaseRestoreModes).default('replace'),
  }),
  z.object({ kind: z.literal('prune'), operationId: z.string().uuid(), dryRun: z.boolean().default(false) }),
]);
export type BackupOperationCommandV1 = z.infer<typeof BackupOperationCommandV1>;

/** One catalogue entry as published in `evt.backup.changed.v1` (and read by the API). */
export const BackupRecordV1 = z.object({
  id: BackupName,
  type: z.enum(BackupTypes),
  trigger: z.enum(BackupTriggers),
  status: z.enum(BackupStatuses),
  component: z.string(),
  /** Component version the backup was taken at (null when nothing was installed). */
  componentVersion: z.string().nullable(),
  /** Node whose files were backed up; null for the backup service's own targets. */
  nodeId: NodeId.nullable(),
  /** Rollout whose install asked for it (pre-update backups). */
  rolloutId: z.string().nullable().default(null),
  description: z.string().default(''),
  encrypted: z.boolean(),
  compressed: z.boolean(),
  /** Plain bytes of every chunk the backup references. */
  sizeBytes: z.number().int().nonnegative().default(0),
  /** Stored bytes of those chunks (compressed, and encrypted when a key is set). */
  storedBytes: z.number().int().nonnegative().default(0),
  /** Bytes this run uploaded (new chunks, indexes, manifest). */
  uploadedBytes: z.number().int().nonnegative().default(0),
  files: z.number().int().nonnegative().default(0),
  packs: z.number().int().nonnegative().default(0),
  durationMs: z.number().int().nonnegative().default(0),
  /** Why it failed, or what verify found (names the damaged packs). */
  error: z.string().nullable().default(null),
  corruptedPacks: z.array(z.string()).default([]),
  createdAt: z.string(),
  completedAt: z.string().nullable().default(null),
  verifiedAt: z.string().nullable().default(null),
});
export type BackupRecordV1 = z.infer<typeof BackupRecordV1>;

/**
 * The part of an event id that names one catalogue change: the same change reported twice (a
 * retry, a redelivery) gives the same string. Anyone who knows the backup's id can compute it,
 * so on the EVENTS stream, where every agent may publish, it is never the whole Nats-Msg-Id:
 * the agent adds its node and a secret of the command (see the agent's event ids).
 */
export const backupChangedEventId = (b: Pick<BackupRecordV1, 'id' | 'status' | 'verifiedAt'>): string =>
  `backup-${b.id}-${b.status}-${b.verifiedAt ?? ''}`;

/** Event `evt.backup.changed.v1`. */
export const BackupChangedV1 = z.object({ backup: BackupRecordV1 });
export type BackupChangedV1 = z.infer<typeof BackupChangedV1>;

/** Event `evt.backup.progress.v1`. */
export const BackupProgressV1 = z.object({
  /** Operation id for service operations; the install command id for a node's pre-update backup. */
  operationId: z.string(),
  kind: z.enum(BackupOperationKinds),
  backupId: z.string().nullable(),
  nodeId: NodeId.nullable().default(null),
  step: z.string(),
  /** 0..100 over the whole operation. */
  percent: z.number().min(0).max(100),
  message: z.string().optional(),
});
export type BackupProgressV1 = z.infer<typeof BackupProgressV1>;

/** `result` of a create operation (in `backup_operations`, shown by `GET /v1/backup-operations/:id`). */
export interface BackupCreateResultV1 {
  /** The backup created. */
  backupId: string;
  /** Its catalogue entry once completed. */
  backup: BackupRecordV1;
}

/** `result` of a verify operation; also set when the verify failed because it found damage. */
export interface BackupVerifyResultV1 {
  /** True when every pack and chunk checked out. */
  ok: boolean;
  /** Packs whose bytes or chunks failed a check, by name. */
  corruptedPacks: string[];
  /** One line per problem found. */
  problems: string[];
  /** Packs read. */
  packsChecked: number;
  /** Chunks read. */
  chunksChecked: number;
  /** The backup's catalogue status after the verify (verified or corrupted). */
  status: BackupStatus;
}

/** `result` of a restore operation: each part restored and where, and each database. */
export interface BackupRestoreResultV1 {
  /** The file parts put back: the manifest part (or root), the directory it went to, how many files. */
  restored: Array<{ part: string; target: string; files: number }>;
  /** The databases restored: their name, the database they went into, and the mode. */
  databases: Array<{ database: string; target: string; mode: string }>;
  /** Older backup services reported a single database restored here instead. */
  database?: { database: string; mode: string };
}

/** `result` of a prune operation: the retention plan and what it freed (on a dry run: would free). */
export interface BackupPruneResultV1 {
  /** True when nothing was removed. */
  dryRun: boolean;
  /** Backups whose manifests were (or would be) deleted. */
  removedBackups: string[];
  /** Packs deleted: those no remaining backup references. */
  removedPacks: number;
  /** Packs left because a remaining backup needs them. */
  keptPacks: number;
  /** Bytes of the deleted manifests, pack indexes and packs. */
  freedBytes: number;
  /** The retention verdict: every backup kept with its reasons, every one removed with why. */
  plan: { keep: Array<{ id: string; reasons: string[] }>; remove: Array<{ id: string; reason: string }> };
}
