import { Injectable, Logger } from '@nestjs/common';
import {
  auditSinceInstant,
  type AuditRecordView,
  type AuditVerifyResult,
  type ListAuditQuery,
  type Role,
} from '@lockstep/contracts';
import { AuditOutcome, type AuditLogEntity } from '@lockstep/persistence';
import type { RefusalAudit, RefusedRequest } from '../http/request-actor';
import { AuditRepository } from './audit.repository';

/** The action of a refused request's record. */
export const REQUEST_REFUSED = 'request.refused';

/** The audit trail as the API serves it, and the record of every request the auth guard refuses. */
@Injectable()
export class AuditService implements RefusalAudit {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly repo: AuditRepository) {}

  /** Records newest first, narrowed by `since`, `actor` and `action`. */
  async list(query: ListAuditQuery): Promise<AuditRecordView[]> {
    const since = query.since ? auditSinceInstant(query.since, this.repo.now()) : undefined;
    const rows = await this.repo.list({ since, actor: query.actor, action: query.action, limit: query.limit });
    return rows.map(toAuditRecordView);
  }

  /** Checks the whole chain; names the first record that was altered or removed. */
  async verify(): Promise<AuditVerifyResult> {
    const v = await this.repo.verify();
    return v.ok
      ? { ok: true, records: v.records, head: { id: v.headId, hash: v.headHash }, firstBad: null, detail: null }
      : { ok: false, records: v.records, head: null, firstBad: v.firstBad, detail: v.detail };
  }

  /**
   * Records a request the auth guard refused (401/403) as `request.refused`, outcome `refused`:
   * the token's identity when it was valid but too weak, else an anonymous actor. Never throws:
   * a trail that cannot be written must not turn a 401 into a 500 (it is logged instead).
   */
  async recordRefused(r: RefusedRequest): Promise<void> {
    const actor = r.actor ?? {
      kind: 'token' as const,
      id: 'anonymous',
      name: 'no valid token',
      role: null,
      components: null,
      source: r.source,
    };
    try {
      await this.repo.append({
        actor: { ...actor, source: r.source ?? actor.source },
        action: REQUEST_REFUSED,
        target: r.target,
        params: { route: r.action, status: r.status, reason: r.reason },
        outcome: AuditOutcome.Refused,
      });
    } catch (err) {
      this.logger.error(`could not record the refused request ${r.action} ${r.target}: ${(err as Error).message}`);
    }
  }
}

/** A record as the API shows it. */
export function toAuditRecordView(a: AuditLogEntity): AuditRecordView {
  return {
    id: String(a.id),
    at: new Date(a.at).toISOString(),
    actor: { kind: a.actorKind, id: a.actorId, name: a.actorName },
    role: a.role as Role | null,
    action: a.action,
    target: a.target,
    params: a.params,
    source: a.source,
    outcome: a.outcome,
    prevHash: a.prevHash,
    hash: a.hash,
  };
}
