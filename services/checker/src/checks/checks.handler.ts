import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuditedCheckNowV1,
  AuditedComponentUpsertV1,
  parseQuery,
  Queries,
  ReleaseInfoV1,
  type CheckNowReplyV1,
  type ComponentUpsertReplyV1,
  type QueryReply,
  type ReleaseInfoReplyV1,
} from '@lockstep/contracts';
import { ComponentsService } from '../components/components.service';
import { ChecksService } from './checks.service';

/** NATS request/reply: check on demand, register components. */
@Controller()
export class ChecksHandler {
  constructor(
    private readonly checks: ChecksService,
    private readonly components: ComponentsService,
  ) {}

  @MessagePattern(Queries.CheckNow)
  async checkNow(@Payload() raw: unknown): Promise<QueryReply<CheckNowReplyV1>> {
    const req = parseQuery(AuditedCheckNowV1, raw);
    return req.ok ? this.checks.checkNow(req.value) : req;
  }

  @MessagePattern(Queries.ReleaseInfo)
  async releaseInfo(@Payload() raw: unknown): Promise<QueryReply<ReleaseInfoReplyV1>> {
    const req = parseQuery(ReleaseInfoV1, raw);
    return req.ok ? this.checks.releaseInfo(req.value) : req;
  }

  @MessagePattern(Queries.ComponentUpsert)
  async upsertComponent(@Payload() raw: unknown): Promise<QueryReply<ComponentUpsertReplyV1>> {
    const req = parseQuery(AuditedComponentUpsertV1, raw);
    return req.ok ? this.components.upsert(req.value) : req;
  }
}
