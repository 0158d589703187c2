import { Inject, Injectable } from '@nestjs/common';
import {
  ApiErrorCode,
  Queries,
  type Audited,
  type AuditActor,
  type CreateRollbackBody,
  type CreateRolloutBody,
  type ListRolloutsQuery,
  type RolloutActionReplyV1,
  type RolloutActionResult,
  type RolloutActionV1,
  type RolloutCreated,
  type RolloutCreateReplyV1,
  type RolloutDetail,
  type RolloutView,
} from '@lockstep/contracts';
import { API_CONFIG, type ApiConfig } from '../api.config';
import { ApiError } from '../http/api-error';
import { QueryGateway } from '../http/query-gateway';
import { toRolloutDetail, toRolloutView } from './rollout-view';
import { RolloutsRepository } from './rollouts.repository';

/** Rollouts: read from Postgres; planned, started, paused, resumed, aborted and rolled back by the scheduler over NATS. */
@Injectable()
export class RolloutsService {
  constructor(
    private readonly repo: RolloutsRepository,
    private readonly queries: QueryGateway,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Rollouts matching the query; only those of `scope` when the caller's token is narrowed to components. */
  async list(query: ListRolloutsQuery, scope: string[] | null = null): Promise<RolloutView[]> {
    const filter = scope ? { ...query, components: scope } : query;
    return (await this.repo.list(filter)).map((r) => toRolloutView(r.rollout, r.statusCounts));
  }

  async get(id: string): Promise<RolloutDetail> {
    const rollout = await this.repo.find(id);
    if (!rollout) throw notFound(id);
    return toRolloutDetail(rollout, await this.repo.nodes(id));
  }

  /** Plans a rollout and, unless it is a dry run, starts it; the scheduler refuses what could not work. */
  async create(body: CreateRolloutBody, actor: AuditActor): Promise<RolloutCreated> {
    const created = await this.queries.ask<RolloutCreateReplyV1>(
      Queries.RolloutCreate,
      { ...body, actor },
      this.config.API_ROLLOUT_TIMEOUT,
    );
    return this.toCreated(created, body.dryRun);
  }

  /** Returns every node a rollout (default: the latest) updated to the version it ran before, as a new rollout. */
  async rollback(body: CreateRollbackBody, actor: AuditActor): Promise<RolloutCreated> {
    const created = await this.queries.ask<RolloutCreateReplyV1>(
      Queries.RollbackCreate,
      { ...body, actor },
      this.config.API_ROLLOUT_TIMEOUT,
    );
    return this.toCreated(created, false);
  }

  /** Pauses, resumes or aborts a rollout; 404 for an unknown one, 409 when its state does not allow the action. */
  async act(id: string, action: RolloutActionV1['action'], actor: AuditActor): Promise<RolloutActionResult> {
    if (!(await this.repo.find(id))) throw notFound(id);
    const request: Audited<RolloutActionV1> = { rolloutId: id, action, actor };
    const { state } = await this.queries.ask<RolloutActionReplyV1>(Queries.RolloutAction, request);
    return { rolloutId: id, state };
  }

  private toCreated(created: RolloutCreateReplyV1, dryRun: boolean): RolloutCreated {
    if (!created || typeof created !== 'object' || !created.plan) {
      throw new ApiError(
        502,
        ApiErrorCode.ServiceFailed,
        'the scheduler answered without a rollout plan; check that it runs the same Lockstep version as the API',
      );
    }
    return { rolloutId: dryRun ? null : (created.rolloutId ?? null), dryRun, plan: created.plan };
  }
}

const notFound = (id: string): ApiError =>
  ApiError.notFound(`rollout ${id} does not exist; list rollouts with GET /v1/rollouts or \`lockstep rollouts\``);
