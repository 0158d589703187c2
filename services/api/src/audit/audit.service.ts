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

/** At most one refusal record per source, route and reason in this window (per API replica). */
export const REFUSAL_WINDOW_MS = 60_000;
/** Refusal windows remembered at once; past this the oldest are forgotten (a flood from many sources). */
const MAX_REFUSAL_WINDOWS = 10_000;
/** A refused path is stored up to this length (an attacker chooses it). */
export const REFUSED_TARGET_MAX = 256;

/** The audit trail as the API serves it, and the record of every request the auth guard refuses. */
@Injectable()
export class AuditService implements RefusalAudit {
  private readonly logger = new Logger(AuditService.name);

  /** Per `source|route|reason`: when its window opened and how many refusals it has not recorded. */
  private readonly refusalWindows = new Map<string, { openedAt: number; suppressed: number }>();

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
   * the token's identity when it was valid but too weak, else an anonymous actor. Anyone can send
   * refused requests, and the trail is append-only, so a flood must not fill it or contend for
   * its chain: one record per source, route and reason a minute, the next one carrying how many
   * were left out (`suppressed`), and the path cut to {@link REFUSED_TARGET_MAX} characters.
   * Never throws: a trail that cannot be written must not turn a 401 into a 500 (it is logged instead).
   */
  async recordRefused(r: RefusedRequest): Promise<void> {
    const suppressed = this.admitRefusal(`${r.source ?? ''}|${r.action}|${r.reason}`);
    if (suppressed === null) return;
    const actor = r.actor ?? {
      kind: 'token' as const,
      id: 'anonymous',
      name: 'no valid token',
      role: null,
      components: null,
      source: r.source,
    };
    const target = r.target.length > REFUSED_TARGET_MAX ? `${r.target.slice(0, REFUSED_TARGET_MAX)}…` : r.target;
    try {
      await this.repo.append({
        actor: { ...actor, source: r.source ?? actor.source },
        action: REQUEST_REFUSED,
        target,
        params: { route: r.action, status: r.status, reason: r.reason, ...(suppressed ? { suppressed } : {}) },
        outcome: AuditOutcome.Refused,
      });
    } catch (err) {
      this.logger.error(`could not record the refused request ${r.action} ${target}: ${(err as Error).message}`);
    }
  }

  /** Null when this refusal falls in an open window (counted, not recorded); else how many the last window left out. */
  private admitRefusal(key: string): number | null {
    const now = this.repo.now();
    const open = this.refusalWindows.get(key);
    if (open && now - open.openedAt < REFUSAL_WINDOW_MS) {
      open.suppressed += 1;
      return null;
    }
    this.refusalWindows.delete(key);
    if (this.refusalWindows.size >= MAX_REFUSAL_WINDOWS) {
      const oldest = this.refusalWindows.keys().next();
      if (!oldest.done) this.refusalWindows.delete(oldest.value);
    }
    this.refusalWindows.set(key, { openedAt: now, suppressed: 0 });
    return open?.suppressed ?? 0;
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
