import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { PutSettingBody, SettingKeyParam, type AuditActor, type ListOf, type SettingView } from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { SettingsService } from './settings.service';

/** `/v1/settings`: runtime settings; everyone reads them, an owner sets and resets them. */
@Controller('v1/settings')
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  async list(): Promise<ListOf<SettingView>> {
    return { items: await this.settings.list() };
  }

  @Get(':key')
  get(@Param('key', new ZodPipe(SettingKeyParam, 'path')) key: string): Promise<SettingView> {
    return this.settings.get(key);
  }

  /** Sets a value; in force everywhere within a second. */
  @Put(':key')
  set(
    @Param('key', new ZodPipe(SettingKeyParam, 'path')) key: string,
    @Body(new ZodPipe(PutSettingBody)) body: PutSettingBody,
    @Actor() actor: AuditActor,
  ): Promise<SettingView> {
    return this.settings.set(key, body.value, actor);
  }

  /** Puts a setting back to its default. */
  @Delete(':key')
  @HttpCode(200)
  reset(
    @Param('key', new ZodPipe(SettingKeyParam, 'path')) key: string,
    @Actor() actor: AuditActor,
  ): Promise<SettingView> {
    return this.settings.reset(key, actor);
  }
}
