import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import {
  BackupIdParam,
  BackupOperationIdParam,
  CreateBackupBody,
  ListBackupsQuery,
  PruneBackupsBody,
  RestoreBackupBody,
  type AuditActor,
  type BackupDetail,
  type BackupOperationQueued,
  type BackupOperationView,
  type BackupRecordV1,
  type ListOf,
} from '@lockstep/contracts';
import { BackupsService } from './backups.service';

/** `/v1/backups`: the backup catalogue, and backup operations queued for the backup service (202 + the operation to follow). */
@Controller('v1/backups')
export class BackupsController {
  constructor(private readonly backups: BackupsService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListBackupsQuery, 'query')) query: ListBackupsQuery,
    @Actor() actor: AuditActor,
  ): Promise<ListOf<BackupRecordV1>> {
    return { items: await this.backups.list(query, actor.components) };
  }

  @Post()
  @HttpCode(202)
  create(
    @Body(new ZodPipe(CreateBackupBody)) body: CreateBackupBody,
    @Actor() actor: AuditActor,
  ): Promise<BackupOperationQueued> {
    return this.backups.create(body, actor);
  }

  @Post('prune')
  @HttpCode(202)
  prune(
    @Body(new ZodPipe(PruneBackupsBody)) body: PruneBackupsBody,
    @Actor() actor: AuditActor,
  ): Promise<BackupOperationQueued> {
    return this.backups.prune(body, actor);
  }

  @Get(':id')
  get(@Param('id', new ZodPipe(BackupIdParam, 'path')) id: string): Promise<BackupDetail> {
    return this.backups.get(id);
  }

  @Post(':id/verify')
  @HttpCode(202)
  verify(
    @Param('id', new ZodPipe(BackupIdParam, 'path')) id: string,
    @Actor() actor: AuditActor,
  ): Promise<BackupOperationQueued> {
    return this.backups.verify(id, actor);
  }

  @Post(':id/restore')
  @HttpCode(202)
  restore(
    @Param('id', new ZodPipe(BackupIdParam, 'path')) id: string,
    @Body(new ZodPipe(RestoreBackupBody)) body: RestoreBackupBody,
    @Actor() actor: AuditActor,
  ): Promise<BackupOperationQueued> {
    return this.backups.restore(id, body, actor);
  }
}

/** `/v1/backup-operations/:id`: one operation's progress and result. */
@Controller('v1/backup-operations')
export class BackupOperationsController {
  constructor(private readonly backups: BackupsService) {}

  @Get(':id')
  get(@Param('id', new ZodPipe(BackupOperationIdParam, 'path')) id: string): Promise<BackupOperationView> {
    return this.backups.operation(id);
  }
}
