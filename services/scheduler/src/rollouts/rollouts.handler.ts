import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuditedRollbackCreateV1,
  AuditedRolloutActionV1,
  AuditedRolloutCreateV1,
  LockReleaseV1,
  parseQuery,
  Queries,
  type LockReleaseReplyV1,
  type QueryReply,
  type RolloutActionReplyV1,
  type RolloutCreateReplyV1,
} from '@lockstep/contracts';
import { RolloutsService } from './rollouts.service';

/** NATS request/reply handlers for operators' rollout actions (called by the API): parse, then delegate. */
@Controller()
export class RolloutsHandler {
  constructor(private readonly service: RolloutsService) {}

  @MessagePattern(Queries.RolloutCreate)
  async create(@Payload() raw: unknown): Promise<QueryReply<RolloutCreateReplyV1>> {
    const req = parseQuery(AuditedRolloutCreateV1, raw);
    return req.ok ? this.service.create(req.value) : req;
  }

  @MessagePattern(Queries.RolloutAction)
  async action(@Payload() raw: unknown): Promise<QueryReply<RolloutActionReplyV1>> {
    const req = parseQuery(AuditedRolloutActionV1, raw);
    return req.ok ? this.service.act(req.value) : req;
  }

  @MessagePattern(Queries.RollbackCreate)
  async rollback(@Payload() raw: unknown): Promise<QueryReply<RolloutCreateReplyV1>> {
    const req = parseQuery(AuditedRollbackCreateV1, raw);
    return req.ok ? this.service.rollback(req.value) : req;
  }

  @MessagePattern(Queries.LockRelease)
  async release(@Payload() raw: unknown): Promise<QueryReply<LockReleaseReplyV1>> {
    const req = parseQuery(LockReleaseV1, raw);
    return req.ok ? this.service.releaseLock(req.value) : req;
  }
}
