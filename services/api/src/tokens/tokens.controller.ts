import { Body, Controller, Get, Param, Post, Delete, HttpCode } from '@nestjs/common';
import {
  CreateTokenBody,
  TokenId,
  type AuditActor,
  type ListOf,
  type TokenCreated,
  type TokenView,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { TokensService } from './tokens.service';

/** `/v1/tokens`: API tokens (owner only); a token is shown once, when created. */
@Controller('v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  async list(): Promise<ListOf<TokenView>> {
    return { items: await this.tokens.list() };
  }

  @Post()
  create(@Body(new ZodPipe(CreateTokenBody)) body: CreateTokenBody, @Actor() actor: AuditActor): Promise<TokenCreated> {
    return this.tokens.create(body, actor);
  }

  /** Revokes the token; answers it as it now stands. */
  @Delete(':id')
  @HttpCode(200)
  revoke(@Param('id', new ZodPipe(TokenId, 'path')) id: string, @Actor() actor: AuditActor): Promise<TokenView> {
    return this.tokens.revoke(id, actor);
  }
}
