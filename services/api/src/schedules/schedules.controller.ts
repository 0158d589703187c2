import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  CreateScheduleBody,
  CreateWindowBody,
  ScheduleName,
  SetEnabledBody,
  type AuditActor,
  type ListOf,
  type ScheduleView,
  type WindowView,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { SchedulesService } from './schedules.service';
import { WindowsService } from './windows.service';

const NamePipe = new ZodPipe(ScheduleName, 'path');

/** `/v1/schedules`: when automatic updates run (the schedule engine fires them). */
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Get()
  async list(): Promise<ListOf<ScheduleView>> {
    return { items: await this.schedules.list() };
  }

  @Get(':name')
  show(@Param('name', NamePipe) name: string): Promise<ScheduleView> {
    return this.schedules.show(name);
  }

  @Post()
  create(
    @Body(new ZodPipe(CreateScheduleBody)) body: CreateScheduleBody,
    @Actor() actor: AuditActor,
  ): Promise<ScheduleView> {
    return this.schedules.create(body, actor);
  }

  @Patch(':name')
  setEnabled(
    @Param('name', NamePipe) name: string,
    @Body(new ZodPipe(SetEnabledBody)) body: SetEnabledBody,
    @Actor() actor: AuditActor,
  ): Promise<ScheduleView> {
    return this.schedules.setEnabled(name, body.enabled, actor);
  }

  /** Deletes the schedule and its recorded runs; answers it as it was. */
  @Delete(':name')
  @HttpCode(200)
  remove(@Param('name', NamePipe) name: string, @Actor() actor: AuditActor): Promise<ScheduleView> {
    return this.schedules.remove(name, actor);
  }
}

/** `/v1/windows`: maintenance windows, per component or node group; policies name them. */
@Controller('v1/windows')
export class WindowsController {
  constructor(private readonly windows: WindowsService) {}

  @Get()
  async list(): Promise<ListOf<WindowView>> {
    return { items: await this.windows.list() };
  }

  @Get(':name')
  show(@Param('name', NamePipe) name: string): Promise<WindowView> {
    return this.windows.show(name);
  }

  @Post()
  create(@Body(new ZodPipe(CreateWindowBody)) body: CreateWindowBody, @Actor() actor: AuditActor): Promise<WindowView> {
    return this.windows.create(body, actor);
  }

  @Patch(':name')
  setEnabled(
    @Param('name', NamePipe) name: string,
    @Body(new ZodPipe(SetEnabledBody)) body: SetEnabledBody,
    @Actor() actor: AuditActor,
  ): Promise<WindowView> {
    return this.windows.setEnabled(name, body.enabled, actor);
  }

  @Delete(':name')
  @HttpCode(200)
  remove(@Param('name', NamePipe) name: string, @Actor() actor: AuditActor): Promise<WindowView> {
    return this.windows.remove(name, actor);
  }
}
