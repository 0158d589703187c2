import { Controller, HttpCode, Post } from '@nestjs/common';
import type { SecretsRotateReplyV1 } from '@lockstep/contracts';
import { SecretsService } from './secrets.service';

/** `/v1/secrets`: re-sealing secrets at rest after a key change (owner only). */
@Controller('v1/secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Post('rotate')
  @HttpCode(200)
  rotate(): Promise<SecretsRotateReplyV1> {
    return this.secrets.rotate();
  }
}
