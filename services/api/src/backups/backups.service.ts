import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  backupPartsOf,
  BackupRequestErrorCode,
  type AuditActor,
  type BackupDetail,
  type BackupOperationCommandV1,
  type BackupOperationQueued,
  type BackupOperationView,
  type BackupRecordV1,
  type CreateBackupBody,
  type ListBackupsQuery,
  type PruneBackupsBody,
  type RestoreBackupBody,
} from '@lockstep/contracts';
import { toBackupRecord } from '@lockstep/persistence';
import { ApiError } from '../http/api-error';
import { toOperationView } from './backup-view';
import { BackupsRepository, type NameTaken } from './backups.repository';

/** How many operations `GET /v1/backups/:id` shows. */
export const BACKUP_OPERATIONS_SHOWN = 10;

/** `backup_20260102_030405` for 2026-01-02T03:04:05Z. */
export function defaultBackupName(now: Date): string {
  const s = now.toISOString();
  return `backup_${s.slice(0, 10).replaceAll('-', '')}_${s.slice(11, 19).replaceAll(':', '')}`;
}

/**
 * Backups: the catalogue is read from Postgres; create, verify, restore and prune are
 * recorded as operations whose commands go to the backup service through the outbox, and
 * answered 202 at once. Callers follow an operation with `GET /v1/backup-operations/:id`.
 */
@Injectable()
export class BackupsService {
  constructor(private readonly repo: BackupsRepository) {}

  /** Catalogue entries matching the query; only those of `scope` when the caller's token is narrowed to components. */
  async list(query: ListBackupsQuery, scope: string[] | null = null): Promise<BackupRecordV1[]> {
    return (await this.repo.list(scope ? { ...query, components: scope } : query)).map(toBackupRecord);
  }

  async get(id: string): Promise<BackupDetail> {
    const backup = await this.repo.find(id);
    if (!backup) throw notFound(id);
    const operations = await this.repo.operationsOf(id, BACKUP_OPERATIONS_SHOWN);
    return { backup: toBackupRecord(backup), operations: operations.map(toOperationView) };
  }

  async operation(id: string): Promise<BackupOperationView> {
    const op = await this.repo.findOperation(id);
    if (!op)
      throw ApiError.notFound(
        `backup operation ${id} does not exist; it is the id a POST to /v1/backups… answered (\`lockstep backup\` prints it)`,
      );
    return toOperationView(op);
  }

  /** Queues a backup under the given name or `backup_YYYYMMDD_HHMMSS` (UTC); 409 when the name is taken. */
  async create(body: CreateBackupBody, actor: AuditActor): Promise<BackupOperationQueued> {
    const backupId = body.name ?? defaultBackupName(this.repo.now());
    const command: Extract<BackupOperationCommandV1, { kind: 'create' }> = {
      kind: 'create',
      operationId: randomUUID(),
      backupId,
      type: body.type,
      description: body.description,
      includeLogs: body.includeLogs,
      compress: body.compress,
      trigger: 'manual',
    };
    const outcome = await this.repo.enqueueCreate(command, actor);
    if ('taken' in outcome) throw nameTaken(backupId, outcome.taken, body.name === undefined);
    return { operation: toOperationView(outcome.operation) };
  }

  /** Queues a verify of every pack the backup references; 409 while it is creating, or when it failed or was pruned. */
  async verify(id: string, actor: AuditActor): Promise<BackupOperationQueued> {
    const backup = await this.existing(id);
    const refusal = unusable(backup, 'verify');
    if (refusal) throw refusal;
    return this.enqueue({ kind: 'verify', operationId: randomUUID(), backupId: id }, actor);
  }

  /**
   * Queues a restore. 409 when the backup cannot be restored (creating, failed, corrupted,
   * pruned); 400 when it does not hold the part asked for, when it would put a node agent's
   * files back in place (only that node can: rollback --restore-data), or without
   * `confirm: true` (the message says what would be overwritten).
   */
  async restore(id: string, body: RestoreBackupBody, actor: AuditActor): Promise<BackupOperationQueued> {
    const backup = await this.existing(id);
    const refusal = unusable(backup, 'restore');
    if (refusal) throw refusal;
    const held = backupPartsOf(backup.type);
    if (body.what !== 'all' && !held.includes(body.what)) {
      throw ApiError.badRequest(
        `backup ${id} is a ${backup.type} backup and holds no ${body.what}; it holds ${held.join(', ')}: restore with what ${[...held, 'all'].join(' or ')}`,
        BackupRequestErrorCode.PartMissing,
      );
    }
    const files = (body.what === 'all' ? held : [body.what]).filter((p) => p !== 'database');
    if (backup.nodeId && files.length > 0 && !body.to) {
      throw ApiError.badRequest(
        `backup ${id} was taken on node ${backup.nodeId} by its agent: its ${files.join(' and ')} files belong on that node, which the backup service that runs restores cannot write to. ` +
          `Put them back there with \`lockstep rollback ${backup.rolloutId ?? 'ROLLOUT_ID'} --restore-data\`, or unpack them elsewhere with --to DIR${held.includes('database') ? ' (--what database restores its database from here)' : ''}.`,
        BackupRequestErrorCode.NodeLocal,
      );
    }
    if (body.confirm !== true) {
      throw ApiError.badRequest(
        `${restoreEffects(backup, body)}; add --confirm (confirm: true) once you are sure`,
        BackupRequestErrorCode.ConfirmRequired,
      );
    }
    return this.enqueue(
      {
        kind: 'restore',
        operationId: randomUUID(),
        backupId: id,
        what: body.what,
        to: body.to,
        databaseMode: body.databaseMode ?? 'replace',
        keepSpecialBits: body.keepSpecialBits === true,
      },
      actor,
    );
  }

  /** Queues retention: with dryRun it only reports what it would keep and remove. */
  prune(body: PruneBackupsBody, actor: AuditActor): Promise<BackupOperationQueued> {
    return this.enqueue({ kind: 'prune', operationId: randomUUID(), dryRun: body.dryRun }, actor);
  }

  private async existing(id: string): Promise<BackupRecordV1> {
    const backup = await this.repo.find(id);
    if (!backup) throw notFound(id);
    return toBackupRecord(backup);
  }

  private async enqueue(
    command: Exclude<BackupOperationCommandV1, { kind: 'create' }>,
    actor: AuditActor,
  ): Promise<BackupOperationQueued> {
    return { operation: toOperationView(await this.repo.enqueue(command, actor)) };
  }
}

const notFound = (id: string): ApiError =>
  ApiError.notFound(
    `backup ${id} is not in the catalogue; list backups with \`lockstep backup list\` (GET /v1/backups)`,
  );

function nameTaken(name: string, taken: NameTaken, defaulted: boolean): ApiError {
  const why =
    taken.by === 'catalogue'
      ? `backup ${name} already exists (${taken.status})`
      : `operation ${taken.operationId} is already creating a backup named ${name} (${taken.state})`;
  const next = defaulted
    ? 'wait a second for the next default name, or pick another name with --name'
    : 'pick another name';
  return new ApiError(409, BackupRequestErrorCode.NameTaken, `${why}; ${next}`);
}

/** Why a backup in its current status cannot be verified or restored; undefined when it can. */
function unusable(b: BackupRecordV1, action: 'verify' | 'restore'): ApiError | undefined {
  const conflict = (message: string) => new ApiError(409, BackupRequestErrorCode.InvalidState, message);
  switch (b.status) {
    case 'creating':
      return conflict(
        `backup ${b.id} is still being created; ${action} it once it is completed (\`lockstep backup show ${b.id}\`)`,
      );
    case 'failed':
      return conflict(
        `backup ${b.id} failed${b.error ? ` (${b.error})` : ''} and holds nothing complete to ${action}; create a new backup`,
      );
    case 'pruned':
      return conflict(
        `backup ${b.id} was pruned by retention: its data is gone, nothing is left to ${action}; choose another backup (\`lockstep backup list\`)`,
      );
    case 'corrupted':
      if (action === 'verify') return undefined;
      return conflict(
        `backup ${b.id} is corrupted: verify found damaged packs${b.corruptedPacks.length ? ` (${b.corruptedPacks.join(', ')})` : ''}, so a restore would bring back damaged files; restore another backup (\`lockstep backup list --status verified\`)`,
      );
    default:
      return undefined;
  }
}

/** `restoring all from backup X overwrites …`: what a restore would replace or create. */
export function restoreEffects(
  b: BackupRecordV1,
  body: Pick<RestoreBackupBody, 'what' | 'to' | 'databaseMode'>,
): string {
  const parts = body.what === 'all' ? backupPartsOf(b.type) : [body.what];
  const files = parts.filter((p) => p !== 'database');
  const overwrites: string[] = [];
  const creates: string[] = [];
  if (files.length && body.to)
    creates.push(
      `the ${files.join(' and ')} files in ${body.to} (it must be empty or not exist: nothing there is replaced)`,
    );
  else if (files.length) overwrites.push(`the ${files.join(' and ')} files at their original places`);
  if (parts.includes('database')) {
    if (body.databaseMode === 'new') creates.push('a new database <name>_restored_<time> (the original is left alone)');
    else overwrites.push('the database in place (databaseMode new restores into a new database instead)');
  }
  const effects = [
    ...(overwrites.length ? [`overwrites ${overwrites.join(' and ')}`] : []),
    ...(creates.length ? [`creates ${creates.join(' and ')}`] : []),
  ];
  return `restoring ${body.what} from backup ${b.id} ${effects.join(', and ')}`;
}
