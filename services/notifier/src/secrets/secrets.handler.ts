import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuditedSecretsRotateV1,
  parseQuery,
  Queries,
  type QueryReply,
  type SecretsRotateReplyV1,
} from '@lockstep/contracts';
import { SecretsAtRest } from './secrets-at-rest.service';

/** NATS request/reply handler of `secrets rotate` (called by the API's owner-only route). */
@Controller()
export class SecretsHandler {
  constructor(private readonly secrets: SecretsAtRest) {}

  @MessagePattern(Queries.SecretsRotate)
  async rotate(@Payload() raw: unknown): Promise<QueryReply<SecretsRotateReplyV1>> {
    const req = parseQuery(AuditedSecretsRotateV1, raw ?? {});
    return req.ok ? this.secrets.rotate(req.value.actor) : req;
  }
}
