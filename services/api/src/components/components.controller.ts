import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ComponentNameParam,
  PostChecksBody,
  PutComponentBody,
  type AuditActor,
  type CheckResults,
  type ComponentView,
  type ListOf,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { ComponentsService } from './components.service';

/** `/v1/components`: what Lockstep keeps up to date. */
@Controller('v1/components')
export class ComponentsController {
  constructor(private readonly components: ComponentsService) {}

  @Get()
  async list(): Promise<ListOf<ComponentView>> {
    return { items: await this.components.list() };
  }

  @Get(':name')
  get(@Param('name', new ZodPipe(ComponentNameParam, 'path')) name: string): Promise<ComponentView> {
    return this.components.get(name);
  }

  @Put(':name')
  upsert(
    @Param('name', new ZodPipe(ComponentNameParam, 'path')) name: string,
    @Body(new ZodPipe(PutComponentBody)) body: PutComponentBody,
    @Actor() actor: AuditActor,
  ): Promise<ComponentView> {
    return this.components.upsert(name, body, actor);
  }
}

/** `/v1/checks`: ask the checker to look for releases now. */
@Controller('v1/checks')
export class ChecksController {
  constructor(private readonly components: ComponentsService) {}

  @Post()
  @HttpCode(200)
  async check(
    @Body(new ZodPipe(PostChecksBody)) body: PostChecksBody,
    @Actor() actor: AuditActor,
  ): Promise<CheckResults> {
    return { results: await this.components.check(body.component, actor) };
  }
}
