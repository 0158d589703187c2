import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  LockKeyParam,
  ReleaseLockBody,
  type AuditActor,
  type LockReleaseResult,
  type LocksView,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { LocksService } from './locks.service';

/** `/v1/locks`: who holds the cluster lock, and the operator's force-release (audited). */
@Controller('v1/locks')
export class LocksController {
  constructor(private readonly locks: LocksService) {}

  @Get()
  list(): Promise<LocksView> {
    return this.locks.list();
  }

  @Post(':key/release')
  @HttpCode(200)
  release(
    @Param('key', new ZodPipe(LockKeyParam, 'path')) key: string,
    @Body(new ZodPipe(ReleaseLockBody)) body: ReleaseLockBody,
    @Actor() actor: AuditActor,
  ): Promise<LockReleaseResult> {
    return this.locks.release(key, body, actor);
  }
}
