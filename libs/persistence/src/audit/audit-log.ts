import type { AuditActor } from '@lockstep/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditHeadEntity, AuditLogEntity } from '../entities/audit-log.entity';
import { AUDIT_GENESIS_HASH, auditRecordHash } from './audit-hash';
import { scrubAuditParams } from './audit-params';

/** How an audited action ended (wire names: stored and shown as they are). */
export const AuditOutcome = { Ok: 'ok', Refused: 'refused', Failed: 'failed' } as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** One record to append; the chain fields (id, hashes) are added by {@link appendAudit}. */
export interface AuditRecordInput {
  /** Who: a token (from the request, never a typed name) or the control plane itself. */
  actor: AuditActor;
  /** What, as `<thing>.<verb>`: `rollout.create`, `lock.release`, `message.dead-lettered`, `request.refused`. */
  action: string;
  /** What it was done to: a rollout id, a lock key, a subscription id, a route. */
  target: string;
  /** The request's parameters; secrets are removed before they are stored. */
  params?: Record<string, unknown>;
  /** Defaults to `ok`. */
  outcome?: AuditOutcome;
  /** Defaults to now; pass the injected clock's time where the caller has one. */
  at?: Date;
}

const HEAD_ID = 1;

/**
 * Appends one record to the audit trail INSIDE the caller's transaction, so the record and the
 * change it describes commit or roll back together. The head row is locked first (`FOR
 * UPDATE`), which serialises appenders until the transaction ends; the record takes the next id
 * and hashes its canonical JSON with the previous hash; the head moves to it. Outside a
 * transaction it opens one of its own.
 */
export async function appendAudit(manager: EntityManager, input: AuditRecordInput): Promise<AuditLogEntity> {
  if (!manager.queryRunner?.isTransactionActive) return manager.transaction((m) => appendAudit(m, input));
  const [head] = await manager.query<Array<{ last_id: string; last_hash: string }>>(
    `SELECT "last_id", "last_hash" FROM "audit_head" WHERE "id" = $1 FOR UPDATE`,
    [HEAD_ID],
  );
  if (!head) throw new Error('the audit_head row is missing: run the Lockstep migrations (AuditLog1765100000000)');
  const at = input.at ?? new Date();
  // Stored timestamps keep milliseconds only (JavaScript's precision), so the hash survives a read back.
  const record: Omit<AuditLogEntity, 'hash'> = {
    id: String(BigInt(head.last_id) + 1n),
    at: new Date(Math.floor(at.getTime())),
    actorKind: input.actor.kind,
    actorId: input.actor.id,
    actorName: input.actor.name,
    role: input.actor.role,
    action: input.action,
    target: input.target,
    params: scrubAuditParams({ ...(input.params ?? {}), ...componentsParam(input.actor) }),
    source: input.actor.source,
    outcome: input.outcome ?? AuditOutcome.Ok,
    prevHash: head.last_hash,
  };
  const entity: AuditLogEntity = { ...record, hash: auditRecordHash(record) };
  await manager.insert(AuditLogEntity, { ...entity, params: entity.params as never });
  await manager.update(AuditHeadEntity, { id: HEAD_ID }, { lastId: entity.id, lastHash: entity.hash });
  return entity;
}

/** A narrowed token's components go with the record, so a reader sees the scope the action ran under. */
const componentsParam = (actor: AuditActor): Record<string, unknown> =>
  actor.components ? { tokenComponents: actor.components } : {};

/** Why the chain is broken at a record. */
export const AuditChainFault = {
  /** The record's content no longer matches its hash, or its hash is not what the next record links to. */
  Altered: 'altered',
  /** The record is missing: a gap in ids, or the head names a record that is gone. */
  Removed: 'removed',
} as const;
export type AuditChainFault = (typeof AuditChainFault)[keyof typeof AuditChainFault];

/** The outcome of {@link verifyAuditChain}. */
export type AuditChainVerdict =
  | { ok: true; records: number; headId: string; headHash: string }
  | { ok: false; records: number; firstBad: { id: string; fault: AuditChainFault }; detail: string };

const BATCH = 1000;

/**
 * Walks the whole trail in id order, in batches (never all rows in memory), and names the first
 * record that was altered or removed.
 *
 * Detectable: a changed field of any record (its hash no longer matches); a record whose hash
 * was recomputed after a change (the next record's `prev_hash` no longer matches); a removed
 * record (a gap in ids); removal of the newest records (the head names a later id).
 * Not detectable from inside the database alone: an attacker with DB rights who rewrites a
 * record AND every later record AND the head (compare the head hash with a copy kept outside,
 * e.g. from `lockstep audit verify --json`, to catch that).
 */
export async function verifyAuditChain(ds: DataSource): Promise<AuditChainVerdict> {
  let expectedId = 1n;
  let prevHash = AUDIT_GENESIS_HASH;
  let records = 0;
  let after = '0';
  // The head first: records appended while we walk only move it past what we check.
  const head = await ds.getRepository(AuditHeadEntity).findOneBy({ id: HEAD_ID });
  if (!head) return broken(0, '0', AuditChainFault.Removed, 'the audit_head row is missing');
  const headId = BigInt(head.lastId);
  for (;;) {
    const rows = await ds
      .getRepository(AuditLogEntity)
      .createQueryBuilder('a')
      .where('a.id > :after AND a.id <= :headId', { after, headId: head.lastId })
      .orderBy('a.id', 'ASC')
      .limit(BATCH)
      .getMany();
    for (const row of rows) {
      const id = BigInt(row.id);
      if (id !== expectedId)
        return broken(
          records,
          String(expectedId),
          AuditChainFault.Removed,
          `record ${expectedId} is missing (the next record present is ${row.id})`,
        );
      if (auditRecordHash(row) !== row.hash)
        return broken(
          records,
          row.id,
          AuditChainFault.Altered,
          `record ${row.id} was changed: its hash does not match its content`,
        );
      if (row.prevHash !== prevHash) {
        // This record links to a hash its predecessor does not have: the predecessor was rewritten.
        return broken(
          records,
          String(id - 1n),
          AuditChainFault.Altered,
          `record ${id - 1n} was changed: record ${row.id} links to a hash it no longer has`,
        );
      }
      prevHash = row.hash;
      expectedId = id + 1n;
      records += 1;
      after = row.id;
    }
    if (rows.length < BATCH) break;
  }
  if (expectedId - 1n !== headId)
    return broken(
      records,
      String(expectedId),
      AuditChainFault.Removed,
      `record ${expectedId} is missing: the chain head names record ${headId} as the last`,
    );
  if (prevHash !== head.lastHash)
    return broken(
      records,
      String(headId),
      AuditChainFault.Altered,
      `record ${headId} was changed: the chain head holds another hash for it`,
    );
  return { ok: true, records, headId: String(headId), headHash: prevHash };
}

const broken = (records: number, id: string, fault: AuditChainFault, detail: string): AuditChainVerdict => ({
  ok: false,
  records,
  firstBad: { id, fault },
  detail,
});
