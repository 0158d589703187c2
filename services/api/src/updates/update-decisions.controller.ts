import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApproveUpdateBody,
  ComponentNameParam,
  CreateHoldBody,
  RejectUpdateBody,
  ReleaseHoldQuery,
  ReleaseVersionParam,
  type ApprovalDecided,
  type ApprovalView,
  type AuditActor,
  type HoldView,
  type ListOf,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { UpdateDecisionsService } from './update-decisions.service';

/** `/v1/updates`: approvals the automatic-update engine asked for, and operators approving or rejecting releases. */
@Controller('v1/updates')
export class UpdateApprovalsController {
  constructor(private readonly decisions: UpdateDecisionsService) {}

  @Get('approvals')
  async approvals(): Promise<ListOf<ApprovalView>> {
    return { items: await this.decisions.approvals() };
  }

  /** Approves a release: it goes out in its policy's next maintenance window. */
  @Post(':component/:version/approve')
  @HttpCode(200)
  approve(
    @Param('component', new ZodPipe(ComponentNameParam, 'path')) component: string,
    @Param('version', new ZodPipe(ReleaseVersionParam, 'path')) version: string,
    @Body(new ZodPipe(ApproveUpdateBody)) body: ApproveUpdateBody,
    @Actor() actor: AuditActor,
  ): Promise<ApprovalDecided> {
    return this.decisions.decide(component, version, 'approved', body.reason, actor);
  }

  /** Rejects a release: nothing installs it automatically. */
  @Post(':component/:version/reject')
  @HttpCode(200)
  reject(
    @Param('component', new ZodPipe(ComponentNameParam, 'path')) component: string,
    @Param('version', new ZodPipe(ReleaseVersionParam, 'path')) version: string,
    @Body(new ZodPipe(RejectUpdateBody)) body: RejectUpdateBody,
    @Actor() actor: AuditActor,
  ): Promise<ApprovalDecided> {
    return this.decisions.decide(component, version, 'rejected', body.reason, actor);
  }
}

/** `/v1/holds`: holds that stop automatic installs of a component or one version. */
@Controller('v1/holds')
export class HoldsController {
  constructor(private readonly decisions: UpdateDecisionsService) {}

  @Get()
  async list(): Promise<ListOf<HoldView>> {
    return { items: await this.decisions.holds() };
  }

  @Post()
  create(@Body(new ZodPipe(CreateHoldBody)) body: CreateHoldBody, @Actor() actor: AuditActor): Promise<HoldView> {
    return this.decisions.hold(body, actor);
  }

  /** Releases the live hold; answers it as it now stands. */
  @Delete(':component')
  @HttpCode(200)
  release(
    @Param('component', new ZodPipe(ComponentNameParam, 'path')) component: string,
    @Query(new ZodPipe(ReleaseHoldQuery, 'query')) query: ReleaseHoldQuery,
    @Actor() actor: AuditActor,
  ): Promise<HoldView> {
    return this.decisions.releaseHold(component, query.version, actor);
  }
}
