/**
 * NATS subjects Lockstep speaks. These strings are WIRE NAMES: changing one breaks every
 * deployed peer. A new payload version gets a new subject (`.v2`), never an edit.
 *
 * Subjects are relative to the deployment's namespace (`NATS_NAMESPACE`, default
 * `lockstep`): on the wire `evt.release.available.v1` is `lockstep.evt.release.available.v1`.
 */
export const Subjects = {
  /** Event: a release newer than what a component runs was found and verified. */
  ReleaseAvailable: 'evt.release.available.v1',
  /** Event: a release source could not be checked or served data that failed verification. */
  CheckFailed: 'evt.check.failed.v1',
  /** Event: a component's signed release metadata (one TUF role) expires soon and was not re-signed. Published by the checker; consumed by the notifier. */
  ReleaseMetadataExpiring: 'evt.release.metadata-expiring.v1',
  /** Event: progress of one install on one node. Published by that node's agent on `<subject>.<nodeId>`; consumed by the scheduler. */
  InstallProgress: 'evt.node.install.progress.v1',
  /** Event: outcome of one install command on one node. Published by that node's agent on `<subject>.<nodeId>`; consumed by the scheduler and the notifier. */
  InstallFinished: 'evt.node.install.finished.v1',
  /** Event: a node stopped heart-beating (once per transition). Published by the scheduler; consumed by the notifier. */
  NodeLost: 'evt.node.lost.v1',
  /** Event: a node announced as lost heart-beats again. Published by the scheduler; consumed by the notifier. */
  NodeRecovered: 'evt.node.recovered.v1',
  /** Event: a rollout changed state. */
  RolloutChanged: 'evt.rollout.changed.v1',
  /** Event: a backup catalogue entry changed (created, completed, failed, verified, corrupted, pruned). Published by agents on `<subject>.<nodeId>` (their pre-update backups) and by the backup service on `<subject>._control`; consumed by the backup service and the notifier. */
  BackupChanged: 'evt.backup.changed.v1',
  /** Event: progress of one backup operation. */
  BackupProgress: 'evt.backup.progress.v1',
  /** Event: a message was given up on and waits in the dead letters (an alert). Published by the service whose outbox relay or event consumer gave up; consumed by the notifier. */
  MessageDeadLettered: 'evt.message.dead-lettered.v1',
  /** Event: a release waits for an operator's approval (`lockstep approve`). Published by the scheduler (its automatic-update engine); consumed by the notifier. */
  UpdateApprovalRequested: 'evt.update.approval_requested.v1',
  /** Event: automatic installs of a component (or one version) were held. Published by the API (an operator's hold) and the scheduler (automatic holds); consumed by the notifier. */
  UpdateHeld: 'evt.update.held.v1',
  /** Event: an owner set or reset a runtime setting (`lockstep settings`). Published by the api through its outbox. */
  SettingsChanged: 'evt.settings.changed.v1',
} as const;
export type Subject = (typeof Subjects)[keyof typeof Subjects];

/**
 * Core request/reply patterns (queries and synchronous operator actions); wire names too,
 * relative to the namespace like Subjects.
 */
export const Queries = {
  /** Ask the checker to poll sources now; reply: CheckNowReplyV1. */
  CheckNow: 'qry.checker.check-now.v1',
  /** Ask the notifier to create or update a subscription; reply: SubscriptionUpsertReplyV1. */
  SubscriptionUpsert: 'qry.notifier.subscription-upsert.v1',
  /** Ask the notifier to delete a subscription; reply: SubscriptionDeleteReplyV1. */
  SubscriptionDelete: 'qry.notifier.subscription-delete.v1',
  /** Ask the notifier to re-queue dead-lettered deliveries; reply: DeadLetterReplayReplyV1. */
  DeadLetterReplay: 'qry.notifier.dead-letter-replay.v1',
  /** Ask the notifier to re-seal every stored secret under the current key (asked by the API only, for an owner); reply: SecretsRotateReplyV1. */
  SecretsRotate: 'qry.notifier.secrets-rotate.v1',
  /** Ask the checker to register or update a component; reply: ComponentUpsertReplyV1. */
  ComponentUpsert: 'qry.checker.component-upsert.v1',
  /** Ask the checker for a release's verified artifact (sha256, length, URI); reply: ReleaseInfoReplyV1. */
  ReleaseInfo: 'qry.checker.release-info.v1',
  /** Ask the scheduler to plan (and unless dry-run, start) a rollout; reply: RolloutCreateReplyV1. */
  RolloutCreate: 'qry.scheduler.rollout-create.v1',
  /** Pause, resume or abort a rollout; reply: RolloutActionReplyV1. */
  RolloutAction: 'qry.scheduler.rollout-action.v1',
  /** Roll back every node a rollout touched; reply: RolloutCreateReplyV1. */
  RollbackCreate: 'qry.scheduler.rollback-create.v1',
  /** Remove a node's record and command consumer (audited); reply: NodeRemovedV1. */
  NodeRemove: 'qry.scheduler.node-remove.v1',
  /** Releases newer than what runs and what each component's policy decided; reply: UpdatesReplyV1. */
  Updates: 'qry.scheduler.updates.v1',
  /** Force-release a cluster lock (audited); reply: LockReleaseReplyV1. */
  LockRelease: 'qry.scheduler.lock-release.v1',
  /** List the messages of the DEAD_LETTERS stream (the scheduler alone reads it); reply: DeadLetterListReplyV1. */
  DeadLetterList: 'qry.scheduler.dead-letter-list.v1',
  /** Re-drive stream and outbox dead letters (audited); reply: DeadLetterRedriveReplyV1. */
  DeadLetterRedrive: 'qry.scheduler.dead-letter-redrive.v1',
  /** Drop one stream or outbox dead letter for good (audited); reply: DeadLetterDiscardReplyV1. */
  DeadLetterDiscard: 'qry.scheduler.dead-letter-discard.v1',
} as const;
export type Query = (typeof Queries)[keyof typeof Queries];

/** JetStream streams and the subjects they capture (relative to the namespace). */
export const Streams = {
  Events: { name: 'EVENTS', subjects: ['evt.>'] },
  Commands: { name: 'COMMANDS', subjects: ['cmd.>'] },
  DeadLetters: { name: 'DEAD_LETTERS', subjects: ['dlq.>'] },
} as const;

/**
 * Headers of a message in the DEAD_LETTERS stream (wire names), next to the original's own
 * headers and bytes, which it keeps unchanged.
 */
export const DeadLetterHeaders = {
  /** Why the consumer gave up on it (at most 1000 characters). */
  Reason: 'Lockstep-Dead-Letter-Reason',
  /** The absolute subject it was published on (namespace included). */
  OriginalSubject: 'Lockstep-Original-Subject',
  /** The service (or `agent-<nodeId>`) whose consumer gave up on it: a re-drive reaches that consumer again. */
  Service: 'Lockstep-Dead-Letter-Service',
} as const;

/** Dead-letter subject for a message that exhausted its deliveries on `subject`. */
export const deadLetterSubject = (subject: string): string => `dlq.${subject}`;
