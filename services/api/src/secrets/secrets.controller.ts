import { Controller, HttpCode, Post } from '@nestjs/common';
import type { AuditActor, SecretsRotateReplyV1 } from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { SecretsService } from './secrets.service';

/** `/v1/secrets`: re-sealing secrets at rest after a key change (owner only). */
@Controller('v1/secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Post('rotate')
  @HttpCode(200)
  rotate(@Actor() actor: AuditActor): Promise<SecretsRotateReplyV1> {
    return this.secrets.rotate(actor);
  }
}
