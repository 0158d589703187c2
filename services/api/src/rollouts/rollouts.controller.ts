import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  CreateRollbackBody,
  CreateRolloutBody,
  ListRolloutsQuery,
  RolloutId,
  type AuditActor,
  type ListOf,
  type RolloutActionResult,
  type RolloutCreated,
  type RolloutDetail,
  type RolloutView,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { RolloutsService } from './rollouts.service';

/** `/v1/rollouts`: rolling updates of a component across nodes, and operators' actions on them. */
@Controller('v1/rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListRolloutsQuery, 'query')) query: ListRolloutsQuery,
    @Actor() actor: AuditActor,
  ): Promise<ListOf<RolloutView>> {
    return { items: await this.rollouts.list(query, actor.components) };
  }

  /** 201 with the started rollout's id; a dry run answers 200 with the plan only. */
  @Post()
  async create(
    @Body(new ZodPipe(CreateRolloutBody)) body: CreateRolloutBody,
    @Res({ passthrough: true }) res: Response,
    @Actor() actor: AuditActor,
  ): Promise<RolloutCreated> {
    const created = await this.rollouts.create(body, actor);
    if (created.dryRun) res.status(200);
    return created;
  }

  @Get(':id')
  get(@Param('id', new ZodPipe(RolloutId, 'path')) id: string): Promise<RolloutDetail> {
    return this.rollouts.get(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(
    @Param('id', new ZodPipe(RolloutId, 'path')) id: string,
    @Actor() actor: AuditActor,
  ): Promise<RolloutActionResult> {
    return this.rollouts.act(id, 'pause', actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(
    @Param('id', new ZodPipe(RolloutId, 'path')) id: string,
    @Actor() actor: AuditActor,
  ): Promise<RolloutActionResult> {
    return this.rollouts.act(id, 'resume', actor);
  }

  @Post(':id/abort')
  @HttpCode(200)
  abort(
    @Param('id', new ZodPipe(RolloutId, 'path')) id: string,
    @Actor() actor: AuditActor,
  ): Promise<RolloutActionResult> {
    return this.rollouts.act(id, 'abort', actor);
  }
}

/** `/v1/rollbacks`: return every node a rollout updated to its previous version. */
@Controller('v1/rollbacks')
export class RollbacksController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post()
  create(
    @Body(new ZodPipe(CreateRollbackBody)) body: CreateRollbackBody,
    @Actor() actor: AuditActor,
  ): Promise<RolloutCreated> {
    return this.rollouts.rollback(body, actor);
  }
}
