import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CheckNowV1,
  ComponentUpsertV1,
  parseQuery,
  Queries,
  ReleaseInfoV1,
  type CheckNowReplyV1,
  type ComponentUpsertReplyV1,
  type QueryReply,
  type ReleaseInfoReplyV1,
} from '@lockstep/contracts';
import { SourceCheckError } from '../sources/release-source';
import { ComponentsService } from '../components/components.service';
import { CheckRepository } from './check.repository';
import { ReleaseCheckService } from './release-check.service';

/** NATS request/reply: check on demand, register components. */
@Controller()
export class ChecksHandler {
  constructor(
    private readonly checks: ReleaseCheckService,
    private readonly repo: CheckRepository,
    private readonly components: ComponentsService,
  ) {}

  @MessagePattern(Queries.CheckNow)
  async checkNow(@Payload() raw: unknown): Promise<QueryReply<CheckNowReplyV1>> {
    const req = parseQuery(CheckNowV1, raw);
    if (!req.ok) return req;
    if (!req.value.component) return { ok: true, result: await this.checks.checkAll('demand') };
    const c = await this.repo.findComponent(req.value.component);
    if (!c)
      return {
        ok: false,
        error: {
          code: 'NOT_FOUND',
          message: `component ${req.value.component} is not registered; add it with lockstep components add`,
        },
      };
    return { ok: true, result: [await this.checks.check(c, 'demand')] };
  }

  @MessagePattern(Queries.ReleaseInfo)
  async releaseInfo(@Payload() raw: unknown): Promise<QueryReply<ReleaseInfoReplyV1>> {
    const req = parseQuery(ReleaseInfoV1, raw);
    if (!req.ok) return req;
    const c = await this.repo.findComponent(req.value.component);
    if (!c)
      return {
        ok: false,
        error: {
          code: 'NOT_FOUND',
          message: `component ${req.value.component} is not registered; add it with lockstep components add`,
        },
      };
    try {
      const r = await this.checks.releaseInfo(c, req.value.version);
      if (!r)
        return {
          ok: false,
          error: {
            code: 'RELEASE_NOT_FOUND',
            message: `${c.name} ${req.value.version} is not published in its ${c.sourceType} source; publish it first (lockstep release publish)`,
          },
        };
      return { ok: true, result: { component: c.name, version: r.version, scheme: c.scheme, artifact: r.artifact } };
    } catch (err) {
      if (err instanceof SourceCheckError) return { ok: false, error: { code: err.code, message: err.message } };
      throw err;
    }
  }

  @MessagePattern(Queries.ComponentUpsert)
  async upsertComponent(@Payload() raw: unknown): Promise<QueryReply<ComponentUpsertReplyV1>> {
    const req = parseQuery(ComponentUpsertV1, raw);
    return req.ok ? this.components.upsert(req.value) : req;
  }
}
