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
  /**
   * Published by node agents, each on its own subject: `<subject>.<nodeId>`. NATS
   * permissions let an agent publish only under its own node id, and consumers refuse an
   * event whose payload names another node than its subject (see eventWireSubject).
   */
  perNode?: true;
}

const contract = <S extends z.ZodTypeAny>(
  subject: Subject,
  name: string,
  schema: S,
  options: { perNode?: true } = {},
): EventContract<S> => ({
  subject,
  name,
  type: `io.lockstep.${name}.v1`,
  schema,
  ...options,
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
  [Subjects.InstallProgress]: contract(Subjects.InstallProgress, 'node.install.progress', InstallProgressV1, {
    perNode: true,
  }),
  [Subjects.InstallFinished]: contract(Subjects.InstallFinished, 'node.install.finished', InstallFinishedV1, {
    perNode: true,
  }),
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

/**
 * Subject (relative to the namespace) an event is published on: the contract's subject, and
 * for per-node events the publishing node's id as one more token.
 */
export function eventWireSubject(subject: Subject, nodeId?: string): string {
  if (!contractFor(subject)?.perNode) return subject;
  if (!nodeId) throw new Error(`${subject} is published per node: name the node`);
  return `${subject}.${nodeId}`;
}

/** Filter (relative to the namespace) that captures every message of an event subject. */
export const eventFilterSubject = (subject: Subject): string =>
  contractFor(subject)?.perNode ? `${subject}.*` : subject;

/**
 * For a per-node event: the node its subject names, which must be the node its payload names
 * (undefined when they agree or the event is not per-node; otherwise why not).
 */
export function perNodeMismatch(subject: Subject, wireSubject: string, data: unknown): string | undefined {
  if (!contractFor(subject)?.perNode) return undefined;
  const publishedAs = wireSubject.slice(wireSubject.lastIndexOf('.') + 1);
  const named = (data as { nodeId?: unknown } | null)?.nodeId;
  return named === publishedAs
    ? undefined
    : `published on node ${publishedAs}'s subject but names node ${String(named)}: an agent may speak only for its own node`;
}
