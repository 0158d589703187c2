import { BackupSubjects, deadLetterSubject, Subjects, type Subject } from '@lockstep/contracts';
import type { ControlPlaneService } from './nats-permissions';

/**
 * The events each service consumes: its event handlers (MessagingOptions.handles; each service
 * module passes its row, and at start each subject must have exactly one @OnEvent handler).
 * Only these services create and pull consumers on EVENTS, and each may dead-letter (publish
 * `dlq.<subject>`) only what it consumes.
 */
export const EventConsumers: Record<ControlPlaneService, readonly Subject[]> = {
  scheduler: [Subjects.InstallFinished, Subjects.InstallProgress],
  notifier: [
    Subjects.ReleaseAvailable,
    Subjects.CheckFailed,
    Subjects.ReleaseMetadataExpiring,
    Subjects.InstallFinished,
    Subjects.NodeLost,
    Subjects.NodeRecovered,
    Subjects.RolloutChanged,
    Subjects.BackupChanged,
    Subjects.MessageDeadLettered,
    Subjects.UpdateApprovalRequested,
    Subjects.UpdateHeld,
    Subjects.SettingsChanged,
  ],
  backup: [Subjects.BackupChanged],
  checker: [],
  api: [],
};

/** The command subjects each service consumes (node commands are the agents'; see agentPermissions). */
export const CommandConsumers: Record<ControlPlaneService, readonly string[]> = {
  scheduler: [],
  notifier: [],
  backup: [BackupSubjects.operation],
  checker: [],
  api: [],
};

/**
 * The dead-letter subjects (relative to the namespace) a service may publish: `dlq.<subject>`
 * of each event and command it consumes, nothing else. A re-drive publishes a dead letter again
 * under the scheduler's user, so a service that could write any dead letter could make the
 * scheduler publish any event or command.
 */
export function deadLetterSubjectsOf(service: ControlPlaneService): string[] {
  return [...EventConsumers[service], ...CommandConsumers[service]].map(deadLetterSubject);
}
