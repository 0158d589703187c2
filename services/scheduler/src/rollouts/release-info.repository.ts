import { Inject, Injectable } from '@nestjs/common';
import { Queries, type QueryReply, type ReleaseInfoReplyV1 } from '@lockstep/contracts';
import { QueryClient } from '@lockstep/messaging';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';

export const SCHEDULER_QUERIES = Symbol('SCHEDULER_QUERIES');

/** How long the checker may take to verify a release (it fetches and checks TUF metadata). */
const RELEASE_INFO_TIMEOUT_MS = 120_000;

/**
 * The checker's verified release info (ReleaseInfo query), remembered per component and
 * version for SCHEDULER_RELEASE_INFO_TTL: a dry run followed by the real create, a retried
 * create, or an auto-rollback resolving previous versions asks the checker once. Only
 * successful answers are kept, and concurrent asks for one release share one query. Agents
 * verify every artifact against the TUF-signed metadata themselves, so a release changed
 * within the TTL is still refused where it would be installed.
 */
@Injectable()
export class ReleaseInfoRepository {
  private readonly known = new Map<string, { until: number; reply: Promise<QueryReply<ReleaseInfoReplyV1>> }>();

  constructor(
    @Inject(SCHEDULER_QUERIES) private readonly queries: QueryClient,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  /** The checker's answer for `component` `version`; rejects when the checker did not answer. */
  get(component: string, version: string): Promise<QueryReply<ReleaseInfoReplyV1>> {
    const key = `${component}@${version}`;
    const now = Date.now();
    const hit = this.known.get(key);
    if (hit && hit.until > now) return hit.reply;
    const reply = this.queries.send<QueryReply<ReleaseInfoReplyV1>>(
      Queries.ReleaseInfo,
      { component, version },
      RELEASE_INFO_TIMEOUT_MS,
    );
    const ttl = this.config.SCHEDULER_RELEASE_INFO_TTL;
    if (ttl <= 0) return reply;
    // Shared while in flight; kept for the TTL only when the checker verified the release.
    const entry = { until: Number.POSITIVE_INFINITY, reply };
    this.known.set(key, entry);
    const forget = () => {
      if (this.known.get(key) === entry) this.known.delete(key);
    };
    reply.then((r) => {
      if (!r.ok) return forget();
      entry.until = Date.now() + ttl;
      for (const [k, e] of this.known) if (e.until <= Date.now()) this.known.delete(k);
    }, forget);
    return reply;
  }
}
