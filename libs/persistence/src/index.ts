export {
  AnnouncedReleaseEntity,
  BackupEntity,
  BackupOperationEntity,
  ComponentEntity,
  DeliveryAttemptEntity,
  DeliveryEntity,
  NodeRemovalEntity,
  OutboxDeadLetterEntity,
  OutboxMessageEntity,
  AuditHeadEntity,
  AuditLogEntity,
  type RolloutStrategy,
  RolloutEntity,
  RolloutNodeEntity,
  SettingEntity,
  SourceStateEntity,
  SubscriptionEntity,
  UpdatePolicyEntity,
  UpdateApprovalEntity,
  UpdateHoldEntity,
  UpdateScheduleEntity,
  ScheduleRunEntity,
  MaintenanceWindowEntity,
} from './entities';
export * from './migrations';
export { createDataSource, openMigratedDataSource, runMigrations } from './data-source';
export { enqueueEvent } from './outbox/outbox';
export * from './outbox/outbox-relay';
export * from './outbox/outbox-dead-letters';
export { databaseReady, PersistenceModule } from './persistence.module';
export * from './backups/backup-operations';
export * from './backups/backup-record';
export * from './audit';
export * from './backups/restored-control-plane';
export * from './sealing/secret-keyring';
export { PolicyStore, type PolicyInForce } from './policy/policy-store';
export * from './update-decisions/update-decisions.store';
export * from './settings/settings-reader';
