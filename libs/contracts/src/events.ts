import type { z } from 'zod';
import { BackupChangedV1, BackupProgressV1 } from './backups';
import { InstallFinishedV1, InstallProgressV1, RolloutChangedV1 } from './fleet';
import { CheckFailedV1, ReleaseAvailableV1, ReleaseMetadataExpiringV1 } from './payloads';
import { Subjects, type Subject } from './subjects';

/** Everything known about one event subject: CloudEvent type, short name for filters, payload schema. */
export interface EventContract<S extends z.ZodTypeAny = z.ZodTypeAny> {
  subject: Subject;
  /** CloudEvent `type`. */
  type: string;
  /** Short name used in subscription filters, e.g. `release.available`. */
  name: string;
  schema: S;
}

const contract = <S extends z.ZodTypeAny>(subject: Subject, name: string, schema: S): EventContract<S> => ({
  subject,
  name,
  type: `io.lockstep.${name}.v1`,
  schema,
});

/** The registry of every event subject and its payload contract. */
export const EventContracts = {
  [Subjects.ReleaseAvailable]: contract(Subjects.ReleaseAvailable, 'release.available', ReleaseAvailableV1),
  [Subjects.CheckFailed]: contract(Subjects.CheckFailed, 'check.failed', CheckFailedV1),
  [Subjects.ReleaseMetadataExpiring]: contract(
    Subjects.ReleaseMetadataExpiring,
    'release.metadata_expiring',
    ReleaseMetadataExpiringV1,
  ),
  [Subjects.InstallProgress]: contract(Subjects.InstallProgress, 'node.install.progress', InstallProgressV1),
  [Subjects.InstallFinished]: contract(Subjects.InstallFinished, 'node.install.finished', InstallFinishedV1),
  [Subjects.RolloutChanged]: contract(Subjects.RolloutChanged, 'rollout.changed', RolloutChangedV1),
  [Subjects.BackupChanged]: contract(Subjects.BackupChanged, 'backup.changed', BackupChangedV1),
  [Subjects.BackupProgress]: contract(Subjects.BackupProgress, 'backup.progress', BackupProgressV1),
} as const satisfies Record<Subject, EventContract>;

/** Payload type carried by an event subject. */
export type PayloadOf<S extends Subject> = z.infer<(typeof EventContracts)[S]['schema']>;

/** Looks up the contract of a subject; undefined for unknown subjects. */
export const contractFor = (subject: string): EventContract | undefined =>
  (EventContracts as Record<string, EventContract>)[subject];

/** Looks up a contract by CloudEvent type. */
export const contractForType = (type: string): EventContract | undefined =>
  Object.values(EventContracts).find((c) => c.type === type);

/** Every short event name, for validating subscription filters. */
export const eventNames = (): string[] => Object.values(EventContracts).map((c) => c.name);
