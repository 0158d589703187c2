import type { z } from 'zod';
import { BackupChangedV1, BackupProgressV1 } from './backups';
import { MessageDeadLetteredV1 } from './dead-letter-queries';
import { InstallFinishedV1, InstallProgressV1, RolloutChangedV1 } from './fleet';
import { NodeLostV1, NodeRecoveredV1 } from './nodes';
import { CheckFailedV1, ReleaseAvailableV1, ReleaseMetadataExpiringV1 } from './payloads';
import { SettingsChangedV1 } from './settings';
import { Subjects, type Subject } from './subjects';
import { UpdateApprovalRequestedV1, UpdateHeldV1 } from './update-decisions';

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
  perNode?: PerNodeOrigin;
}

/** How a per-node event names its node, and whether the control plane publishes it too. */
export interface PerNodeOrigin {
  /** The node the payload is about (null or undefined: none, e.g. a control-plane backup). */
  nodeOf(data: unknown): string | null | undefined;
  /** The control plane publishes it as well, on `<subject>._control` (which no node id can be). */
  controlPlane?: true;
}

/** Last token of a per-node event the control plane publishes (not a valid node id: it starts with `_`). */
export const CONTROL_PLANE_ORIGIN = '_control';

const nodeIdOf = (data: unknown) => (data as { nodeId?: string } | null)?.nodeId;

const contract = <S extends z.ZodTypeAny>(
  subject: Subject,
  name: string,
  schema: S,
  options: { perNode?: PerNodeOrigin } = {},
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
    perNode: { nodeOf: nodeIdOf },
  }),
  [Subjects.InstallFinished]: contract(Subjects.InstallFinished, 'node.install.finished', InstallFinishedV1, {
    perNode: { nodeOf: nodeIdOf },
  }),
  [Subjects.NodeLost]: contract(Subjects.NodeLost, 'node.lost', NodeLostV1),
  [Subjects.NodeRecovered]: contract(Subjects.NodeRecovered, 'node.recovered', NodeRecoveredV1),
  [Subjects.RolloutChanged]: contract(Subjects.RolloutChanged, 'rollout.changed', RolloutChangedV1),
  // agents announce their pre-update backups; the backup service everything else
  [Subjects.BackupChanged]: contract(Subjects.BackupChanged, 'backup.changed', BackupChangedV1, {
    perNode: {
      nodeOf: (data) => (data as { backup?: { nodeId?: string | null } } | null)?.backup?.nodeId,
      controlPlane: true,
    },
  }),
  [Subjects.BackupProgress]: contract(Subjects.BackupProgress, 'backup.progress', BackupProgressV1),
  [Subjects.MessageDeadLettered]: contract(
    Subjects.MessageDeadLettered,
    'message.dead_lettered',
    MessageDeadLetteredV1,
  ),
  [Subjects.UpdateApprovalRequested]: contract(
    Subjects.UpdateApprovalRequested,
    'update.approval_requested',
    UpdateApprovalRequestedV1,
  ),
  [Subjects.UpdateHeld]: contract(Subjects.UpdateHeld, 'update.held', UpdateHeldV1),
  [Subjects.SettingsChanged]: contract(Subjects.SettingsChanged, 'settings.changed', SettingsChangedV1),
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
 * for per-node events one more token: the publishing node's id, or CONTROL_PLANE_ORIGIN when
 * the control plane publishes it (no nodeId).
 */
export function eventWireSubject(subject: Subject, nodeId?: string): string {
  const perNode = contractFor(subject)?.perNode;
  if (!perNode) return subject;
  if (nodeId) return `${subject}.${nodeId}`;
  if (perNode.controlPlane) return `${subject}.${CONTROL_PLANE_ORIGIN}`;
  throw new Error(`${subject} is published per node: name the node`);
}

/** Filter (relative to the namespace) that captures every message of an event subject. */
export const eventFilterSubject = (subject: Subject): string =>
  contractFor(subject)?.perNode ? `${subject}.*` : subject;

/**
 * For a per-node event: refuses one whose subject names another node than its payload, or
 * that came as the control plane's when the control plane does not publish it (undefined when
 * it is fine or the event is not per-node; otherwise why not).
 */
export function perNodeMismatch(subject: Subject, wireSubject: string, data: unknown): string | undefined {
  const perNode = contractFor(subject)?.perNode;
  if (!perNode) return undefined;
  const publishedAs = wireSubject.slice(wireSubject.lastIndexOf('.') + 1);
  if (publishedAs === CONTROL_PLANE_ORIGIN)
    return perNode.controlPlane ? undefined : `published as the control plane's, but only nodes publish ${subject}`;
  const named = perNode.nodeOf(data);
  return named === publishedAs
    ? undefined
    : `published on node ${publishedAs}'s subject but names node ${String(named)}: an agent may speak only for its own node`;
}
