import { Injectable } from '@nestjs/common';
import {
  Queries,
  type AuditActor,
  type LockAuditView,
  type LockReleaseReplyV1,
  type LockReleaseResult,
  type LockReleaseV1,
  type LocksView,
  type ReleaseLockBody,
} from '@lockstep/contracts';
import type { AuditLogEntity } from '@lockstep/persistence';
import { QueryGateway } from '../http/query-gateway';
import { LockAuditRepository } from './lock-audit.repository';
import { LocksRepository } from './locks.repository';

/** How many audit entries `GET /v1/locks` shows. */
export const LOCK_AUDIT_SHOWN = 10;

/** Cluster locks: who holds them (read from NATS), their force-release audit (Postgres), and force-release (the scheduler). */
@Injectable()
export class LocksService {
  constructor(
    private readonly locks: LocksRepository,
    private readonly audit: LockAuditRepository,
    private readonly queries: QueryGateway,
  ) {}

  async list(): Promise<LocksView> {
    const [items, audit] = await Promise.all([this.locks.list(), this.audit.latest(LOCK_AUDIT_SHOWN)]);
    return { items, audit: audit.map(toLockAuditView) };
  }

  /**
   * Removes the holder named by its fencing token (409 LOCK_HOLDER_CHANGED when another holds the
   * lock); the scheduler records the release, or its refusal, with the request's actor.
   */
  async release(key: string, body: ReleaseLockBody, actor: AuditActor): Promise<LockReleaseResult> {
    const request: LockReleaseV1 = { key, ...body, actor };
    const r = await this.queries.ask<LockReleaseReplyV1>(Queries.LockRelease, request);
    return { key, released: r.released, removed: r.removed ?? null };
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;

/**
 * A lock record of the audit trail, for operators. `params.removed` is the lease as the scheduler
 * recorded it: either the lock view itself or a record that nests it under `removed`.
 */
export function toLockAuditView(a: AuditLogEntity): LockAuditView {
  const raw = obj(a.params.removed);
  const lease = raw && obj(raw.removed) ? obj(raw.removed) : raw;
  return {
    id: String(a.id),
    key: a.target,
    action: a.action,
    by: a.actorName,
    reason: str(a.params.reason) ?? '',
    removed: lease ? { holder: str(lease.holder), rolloutId: str(lease.rolloutId), token: int(lease.token) } : null,
    at: new Date(a.at).toISOString(),
  };
}

const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
