import { AnnouncedReleaseEntity } from './announced-release.entity';
import { BackupOperationEntity } from './backup-operation.entity';
import { BackupEntity } from './backup.entity';
import { ComponentEntity } from './component.entity';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { DeliveryEntity } from './delivery.entity';
import { AuditHeadEntity, AuditLogEntity } from './audit-log.entity';
import { LostNodeEntity } from './lost-node.entity';
import { MaintenanceWindowEntity } from './maintenance-window.entity';
import { NodeRemovalEntity } from './node-removal.entity';
import { OutboxDeadLetterEntity } from './outbox-dead-letter.entity';
import { OutboxMessageEntity } from './outbox-message.entity';
import { RolloutNodeEntity } from './rollout-node.entity';
import { RolloutEntity } from './rollout.entity';
import { ScheduleRunEntity } from './schedule-run.entity';
import { SettingEntity } from './setting.entity';
import { SourceStateEntity } from './source-state.entity';
import { SubscriptionEntity } from './subscription.entity';
import { UpdatePolicyEntity } from './update-policy.entity';
import { UpdateApprovalEntity } from './update-approval.entity';
import { UpdateHoldEntity } from './update-hold.entity';
import { UpdateScheduleEntity } from './update-schedule.entity';

export * from './announced-release.entity';
export * from './backup.entity';
export * from './backup-operation.entity';
export * from './component.entity';
export * from './delivery-attempt.entity';
export * from './delivery.entity';
export * from './outbox-message.entity';
export * from './outbox-dead-letter.entity';
export * from './audit-log.entity';
export * from './lost-node.entity';
export * from './node-removal.entity';
export * from './rollout.entity';
export * from './rollout-node.entity';
export * from './setting.entity';
export * from './source-state.entity';
export * from './subscription.entity';
export * from './update-policy.entity';
export * from './update-approval.entity';
export * from './update-hold.entity';
export * from './update-schedule.entity';
export * from './schedule-run.entity';
export * from './maintenance-window.entity';

/** Every entity of the schema. */
export const allEntities = [
  ComponentEntity,
  SourceStateEntity,
  AnnouncedReleaseEntity,
  OutboxMessageEntity,
  OutboxDeadLetterEntity,
  SubscriptionEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
  RolloutEntity,
  RolloutNodeEntity,
  LostNodeEntity,
  NodeRemovalEntity,
  AuditLogEntity,
  AuditHeadEntity,
  BackupEntity,
  BackupOperationEntity,
  UpdatePolicyEntity,
  UpdateApprovalEntity,
  UpdateHoldEntity,
  UpdateScheduleEntity,
  ScheduleRunEntity,
  MaintenanceWindowEntity,
  SettingEntity,
];
