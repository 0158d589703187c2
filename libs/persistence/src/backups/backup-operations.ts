import { BackupSubjects, type AuditActor, type BackupOperationCommandV1 } from '@lockstep/contracts';
import { appendAudit } from '../audit/audit-log';
import type { DataSource, EntityManager } from 'typeorm';
import { BackupEntity, BackupOperationEntity } from '../entities';
import { enqueueCommand } from '../outbox/outbox';

/** Why a name cannot be used for a new backup. */
export type BackupNameTaken =
  { by: 'catalogue'; status: string } | { by: 'operation'; operationId: string; state: string };

/**
 * Records a backup operation `queued` together with its command in the outbox (Nats-Msg-Id
 * = operation id), in one transaction, so the request cannot be lost. A create is refused
 * (returning why) when its name is taken — in the catalogue, or by a create that is queued
 * or running; concurrent requests for one name are serialised by an advisory lock on it.
 * The outbox relay publishes the command as soon as the transaction commits. `actor` (the API
 * request's token, or the system for scheduled backups) is recorded as `backup.<kind>` in the
 * same transaction; a refused create records nothing.
 */
export async function enqueueBackupOperation(
  ds: DataSource,
  command: BackupOperationCommandV1,
  actor: AuditActor,
): Promise<{ operation: BackupOperationEntity } | { taken: BackupNameTaken }> {
  return ds.transaction(async (m) => {
    if (command.kind === 'create') {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('lockstep.backup-name'), hashtext($1))`, [command.backupId]);
      const taken = await nameTaken(m, command.backupId);
      if (taken) return { taken };
    }
    const backupId = command.kind === 'prune' ? null : command.backupId;
    await m.insert(BackupOperationEntity, {
      id: command.operationId,
      kind: command.kind,
      backupId,
      state: 'queued',
      request: command as never,
    });
    await enqueueCommand(m, BackupSubjects.operation, command, command.operationId);
    const { kind, ...params } = command;
    await appendAudit(m, { actor, action: `backup.${kind}`, target: backupId ?? 'all', params });
    return { operation: await m.findOneByOrFail(BackupOperationEntity, { id: command.operationId }) };
  });
}

async function nameTaken(m: EntityManager, name: string): Promise<BackupNameTaken | null> {
  const backup = await m.findOne(BackupEntity, { where: { id: name }, select: { id: true, status: true } });
  if (backup) return { by: 'catalogue', status: backup.status };
  const op = await m
    .createQueryBuilder(BackupOperationEntity, 'o')
    .where(`o.kind = 'create' AND o.backup_id = :name AND o.state IN ('queued', 'running')`, { name })
    .getOne();
  return op ? { by: 'operation', operationId: op.id, state: op.state } : null;
}
