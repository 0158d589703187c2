import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  LockReleaseV1,
  parseQuery,
  Queries,
  RollbackCreateV1,
  RolloutActionV1,
  RolloutCreateV1,
  type LockReleaseReplyV1,
  type QueryReply,
  type RolloutActionReplyV1,
} from '@lockstep/contracts';
import { OutboxRelay } from '@lockstep/persistence';
import { CLUSTER_LOCK, type ClusterLockAdmin } from './cluster-lock.port';
import { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollouts.service';

/** NATS request/reply handlers for operators' rollout actions (called by the API). */
@Controller()
export class RolloutsHandler {
  constructor(
    private readonly service: RolloutsService,
    private readonly repo: RolloutRepository,
    private readonly relay: OutboxRelay,
    @Inject(CLUSTER_LOCK) private readonly lock: ClusterLockAdmin,
  ) {}

  @MessagePattern(Queries.RolloutCreate)
  async create(@Payload() raw: unknown) {
    const req = parseQuery(RolloutCreateV1, raw);
    return req.ok ? this.service.create(req.value) : req;
  }

  @MessagePattern(Queries.RolloutAction)
  async action(@Payload() raw: unknown): Promise<QueryReply<RolloutActionReplyV1>> {
    const req = parseQuery(RolloutActionV1, raw);
    if (!req.ok) return req;
    const r = await this.repo.operatorAction(req.value.rolloutId, req.value.action);
    if (!r.ok) return { ok: false, error: { code: 'INVALID_STATE', message: r.message } };
    this.relay.kick();
    return { ok: true, result: { state: r.state } };
  }

  @MessagePattern(Queries.RollbackCreate)
  async rollback(@Payload() raw: unknown) {
    const req = parseQuery(RollbackCreateV1, raw);
    return req.ok ? this.service.rollback(req.value) : req;
  }

  @MessagePattern(Queries.LockRelease)
  async release(@Payload() raw: unknown): Promise<QueryReply<LockReleaseReplyV1>> {
    const req = parseQuery(LockReleaseV1, raw);
    if (!req.ok) return req;
    const removed = await this.lock.forceRelease(req.value.key, req.value.by, req.value.reason);
    await this.repo.audit({
      lockKey: req.value.key,
      action: 'force_release',
      byWhom: req.value.by,
      reason: req.value.reason,
      removed,
    });
    return { ok: true, result: { released: removed !== null, removed } };
  }
}
