import { z } from 'zod';
import { AuditActor } from './auth';
import {
  CheckNowV1,
  ComponentUpsertV1,
  DeadLetterReplayV1,
  SecretsRotateV1,
  SubscriptionDeleteV1,
  SubscriptionUpsertV1,
} from './queries';
import { DeadLetterDiscardV1, DeadLetterRedriveV1 } from './dead-letter-queries';
import { NodeRemoveV1 } from './nodes';
import { RollbackCreateV1, RolloutActionV1, RolloutCreateV1 } from './rollout-queries';

/**
 * The wire payloads of the queries that change something: the request plus `actor`, the API
 * request's identity (a token's id, name and role, never a name the caller typed). The service
 * that makes the change writes it into the audit record, in the transaction of the change.
 * The request schemas themselves stay free of it, so HTTP bodies and the CLI derive from them.
 */
export const Audited = z.object({
  /** Who asks: the API request's token (or the system), for the audit record. */
  actor: AuditActor,
});
export type Audited<T> = T & z.infer<typeof Audited>;

/** Payload of `qry.scheduler.rollout-create.v1`. */
export const AuditedRolloutCreateV1 = RolloutCreateV1.extend(Audited.shape);
/** Payload of `qry.scheduler.rollout-action.v1`. */
export const AuditedRolloutActionV1 = RolloutActionV1.extend(Audited.shape);
/** Payload of `qry.scheduler.rollback-create.v1`. */
export const AuditedRollbackCreateV1 = RollbackCreateV1.extend(Audited.shape);
/** Payload of `qry.notifier.subscription-upsert.v1`. */
export const AuditedSubscriptionUpsertV1 = SubscriptionUpsertV1.extend(Audited.shape);
/** Payload of `qry.notifier.subscription-delete.v1`. */
export const AuditedSubscriptionDeleteV1 = SubscriptionDeleteV1.extend(Audited.shape);
/** Payload of `qry.notifier.dead-letter-replay.v1`. */
export const AuditedDeadLetterReplayV1 = DeadLetterReplayV1.extend(Audited.shape);
/** Payload of `qry.checker.component-upsert.v1`. */
export const AuditedComponentUpsertV1 = ComponentUpsertV1.extend(Audited.shape);
/** Payload of `qry.checker.check-now.v1`. */
export const AuditedCheckNowV1 = CheckNowV1.extend(Audited.shape);
/** Payload of `qry.notifier.secrets-rotate.v1`. */
export const AuditedSecretsRotateV1 = SecretsRotateV1.extend(Audited.shape);
/** Payload of `qry.scheduler.dead-letter-redrive.v1`. */
export const AuditedDeadLetterRedriveV1 = DeadLetterRedriveV1.extend(Audited.shape);
/** Payload of `qry.scheduler.dead-letter-discard.v1`. */
export const AuditedDeadLetterDiscardV1 = DeadLetterDiscardV1.extend(Audited.shape);
/** Payload of `qry.scheduler.node-remove.v1`. */
export const AuditedNodeRemoveV1 = NodeRemoveV1.extend(Audited.shape);
