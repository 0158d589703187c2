import { Injectable } from '@nestjs/common';
import {
  type Audited,
  type CheckNowV1,
  type CheckResultV1,
  QueryErrorCode,
  type QueryReply,
  type ReleaseInfoReplyV1,
  type ReleaseInfoV1,
} from '@lockstep/contracts';
import type { ComponentEntity } from '@lockstep/persistence';
import { SourceCheckError } from '../sources/release-source';
import { CheckRepository } from './check.repository';
import { ReleaseCheckService } from './release-check.service';

type NotFound = { ok: false; error: { code: string; message: string } };

/** Answers the checker's on-demand queries: resolves the named component, then checks or looks up a release. */
@Injectable()
export class ChecksService {
  constructor(
    private readonly repo: CheckRepository,
    private readonly checks: ReleaseCheckService,
  ) {}

  /** Checks the named component now, or every component when none is named. */
  async checkNow(req: Audited<CheckNowV1>): Promise<QueryReply<CheckResultV1[]>> {
    let results: CheckResultV1[];
    if (!req.component) results = await this.checks.checkAll('demand');
    else {
      const c = await this.repo.findComponent(req.component);
      if (!c) return notRegistered(req.component);
      results = [await this.checks.check(c, 'demand')];
    }
    // A check's announcements commit in transactions of their own (one per release, with its
    // event), so the request is recorded once after them, with what it found.
    await this.repo.audit({
      actor: req.actor,
      action: 'check.run',
      target: req.component ?? 'all',
      params: { results: results.map((r) => ({ component: r.component, ok: r.ok, announced: r.announced })) },
    });
    return { ok: true, result: results };
  }

  /** A release's verified artifact, looked up in the component's source afresh. */
  async releaseInfo(req: ReleaseInfoV1): Promise<QueryReply<ReleaseInfoReplyV1>> {
    const c = await this.repo.findComponent(req.component);
    if (!c) return notRegistered(req.component);
    try {
      const r = await this.checks.releaseInfo(c, req.version);
      if (!r) return notPublished(c, req.version);
      return { ok: true, result: { component: c.name, version: r.version, scheme: c.scheme, artifact: r.artifact } };
    } catch (err) {
      if (err instanceof SourceCheckError) return { ok: false, error: { code: err.code, message: err.message } };
      throw err;
    }
  }
}

const notRegistered = (component: string): NotFound => ({
  ok: false,
  error: {
    code: QueryErrorCode.NotFound,
    message: `component ${component} is not registered; add it with lockstep components add`,
  },
});

const notPublished = (c: ComponentEntity, version: string): NotFound => ({
  ok: false,
  error: {
    code: QueryErrorCode.ReleaseNotFound,
    message: `${c.name} ${version} is not published in its ${c.sourceType} source; publish it first (lockstep release publish)`,
  },
});
