import { Injectable } from '@nestjs/common';
import { Queries, type AuditActor, type SecretsRotateReplyV1 } from '@lockstep/contracts';
import { QueryGateway } from '../http/query-gateway';

/** Secrets at rest: the notifier holds the key and re-seals; the API only asks it. */
@Injectable()
export class SecretsService {
  constructor(private readonly queries: QueryGateway) {}

  /** Re-seals every stored secret under the notifier's current LOCKSTEP_SECRET_KEY. */
  rotate(actor: AuditActor): Promise<SecretsRotateReplyV1> {
    return this.queries.ask<SecretsRotateReplyV1>(Queries.SecretsRotate, { actor });
  }
}
