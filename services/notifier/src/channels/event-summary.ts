import {
  CheckFailedV1,
  EventContracts,
  MessageDeadLetteredV1,
  NodeLostV1,
  ReleaseAvailableV1,
  ReleaseMetadataExpiringV1,
  Subjects,
  UpdateApprovalRequestedV1,
  UpdateHeldV1,
  type CloudEvent,
} from '@lockstep/contracts';
import { orDash, truncateText } from './text-limits';

/** How loud a notification is; chat renderers map it to colours. */
export const Severity = {
  Info: 'info',
  Warning: 'warning',
  Critical: 'critical',
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** One labelled value of a summary. */
export interface SummaryField {
  /** Short label, plain text. */
  label: string;
  /** Value, plain text. */
  value: string;
}

/**
 * A channel-neutral rendering of an event, produced once per event and turned into Slack blocks
 * or Discord embeds by each channel within that channel's limits. All text is plain (not
 * escaped for any markup); `body` may contain markdown from release notes.
 */
export interface EventSummary {
  /** Headline, e.g. `api 1.4.0 is available`. */
  title: string;
  /** One line for notifications and clients that cannot show rich messages. */
  fallback: string;
  /** Labelled facts. */
  fields: SummaryField[];
  /** Longer text (release notes, failure reason, payload dump), already cut to SUMMARY_BODY_MAX. */
  body?: { label: string; text: string; format: 'markdown' | 'code' };
  /** Small print: event type, source, time. */
  context: string[];
  /** Drives colour. */
  severity: Severity;
  /** RFC 3339 time of the event. */
  time: string;
}

/** Neutral cap on body text; each chat channel cuts further to its own limits. */
export const SUMMARY_BODY_MAX = 4000;
const GENERIC_DATA_MAX = 1500;

type Formatter = (event: CloudEvent) => EventSummary | undefined;

const releaseType = EventContracts[Subjects.ReleaseAvailable].type;
const checkFailedType = EventContracts[Subjects.CheckFailed].type;
const metadataExpiringType = EventContracts[Subjects.ReleaseMetadataExpiring].type;
const nodeLostType = EventContracts[Subjects.NodeLost].type;
const deadLetteredType = EventContracts[Subjects.MessageDeadLettered].type;
const approvalRequestedType = EventContracts[Subjects.UpdateApprovalRequested].type;
const heldType = EventContracts[Subjects.UpdateHeld].type;

/** Formatters by CloudEvent type; a type missing here, or a payload failing its schema, gets the generic summary. */
const Formatters: Record<string, Formatter> = {
  [releaseType]: (event) => {
    const parsed = ReleaseAvailableV1.safeParse(event.data);
    return parsed.success ? summarizeRelease(event, parsed.data) : undefined;
  },
  [checkFailedType]: (event) => {
    const parsed = CheckFailedV1.safeParse(event.data);
    return parsed.success ? summarizeCheckFailed(event, parsed.data) : undefined;
  },
  [metadataExpiringType]: (event) => {
    const parsed = ReleaseMetadataExpiringV1.safeParse(event.data);
    return parsed.success ? summarizeMetadataExpiring(event, parsed.data) : undefined;
  },
  [nodeLostType]: (event) => {
    const parsed = NodeLostV1.safeParse(event.data);
    return parsed.success ? summarizeNodeLost(event, parsed.data) : undefined;
  },
  [deadLetteredType]: (event) => {
    const parsed = MessageDeadLetteredV1.safeParse(event.data);
    return parsed.success ? summarizeDeadLettered(event, parsed.data) : undefined;
  },
  [approvalRequestedType]: (event) => {
    const parsed = UpdateApprovalRequestedV1.safeParse(event.data);
    return parsed.success ? summarizeApprovalRequested(event, parsed.data) : undefined;
  },
  [heldType]: (event) => {
    const parsed = UpdateHeldV1.safeParse(event.data);
    return parsed.success ? summarizeHeld(event, parsed.data) : undefined;
  },
};

/** Summarises any CloudEvent: a dedicated formatter for known types, the generic one otherwise. */
export function summarizeEvent(event: CloudEvent): EventSummary {
  return Formatters[event.type]?.(event) ?? summarizeGeneric(event);
}

function contextOf(event: CloudEvent, name: string): string[] {
  return [`Lockstep ${name}`, `source ${event.source}`, `event ${event.id}`];
}

/** `release.available`: component, versions, kind, channel, flags, notes. */
export function summarizeRelease(event: CloudEvent, data: ReleaseAvailableV1): EventSummary {
  const flags = [data.security && 'security', data.breaking && 'breaking', data.hotfix && 'hotfix'].filter(
    (f): f is string => Boolean(f),
  );
  const prefix = data.security ? 'Security release: ' : data.hotfix ? 'Hotfix: ' : '';
  const was = data.currentVersion ? `, running ${data.currentVersion}` : '';
  const notes = data.notes.trim();
  return {
    title: `${prefix}${data.component} ${data.version} is available`,
    fallback: `${prefix}${data.component} ${data.version} is available (${data.kind}, ${data.channel}${was})${flags.length ? ` [${flags.join(', ')}]` : ''}`,
    fields: [
      { label: 'Component', value: data.component },
      { label: 'Version', value: data.version },
      { label: 'Current version', value: data.currentVersion ?? 'unknown' },
      { label: 'Kind', value: data.kind },
      { label: 'Channel', value: data.channel },
      { label: 'Flags', value: flags.length ? flags.join(', ') : 'none' },
    ],
    body: notes
      ? { label: 'Release notes', text: truncateText(notes, SUMMARY_BODY_MAX), format: 'markdown' }
      : undefined,
    context: contextOf(event, 'release.available'),
    severity: data.security ? Severity.Critical : data.breaking ? Severity.Warning : Severity.Info,
    time: event.time,
  };
}

/** `check.failed`: component, source, code, reason. */
export function summarizeCheckFailed(event: CloudEvent, data: CheckFailedV1): EventSummary {
  return {
    title: `Release check failed for ${data.component}`,
    fallback: `Release check failed for ${data.component} (${data.source}: ${data.code}): ${data.reason}`,
    fields: [
      { label: 'Component', value: data.component },
      { label: 'Source', value: orDash(data.source) },
      { label: 'Code', value: orDash(data.code) },
    ],
    body: { label: 'Reason', text: truncateText(orDash(data.reason), SUMMARY_BODY_MAX), format: 'markdown' },
    context: contextOf(event, 'check.failed'),
    severity: Severity.Warning,
    time: event.time,
  };
}

/** `release.metadata_expiring`: component, role, version, expiry, what to do. */
export function summarizeMetadataExpiring(event: CloudEvent, data: ReleaseMetadataExpiringV1): EventSummary {
  return {
    title: `Release metadata of ${data.component} expires soon`,
    fallback: `The ${data.role} metadata (v${data.version}) of ${data.component} expires at ${data.expiresAt}; after that no rollout or rollback of it can start: ${data.action}`,
    fields: [
      { label: 'Component', value: data.component },
      { label: 'Role', value: `${data.role} (${data.online ? 'online' : 'offline'} key)` },
      { label: 'Version', value: String(data.version) },
      { label: 'Expires', value: data.expiresAt },
    ],
    body: { label: 'What to do', text: truncateText(data.action, SUMMARY_BODY_MAX), format: 'markdown' },
    context: contextOf(event, 'release.metadata_expiring'),
    severity: Severity.Warning,
    time: event.time,
  };
}

/** `node.lost`: which node, since when, and what an operator does about it. */
export function summarizeNodeLost(event: CloudEvent, data: NodeLostV1): EventSummary {
  const labels = Object.entries(data.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return {
    title: `Node ${data.nodeId} is lost`,
    fallback: `Node ${data.nodeId} (${data.hostname}) stopped heart-beating; last heartbeat ${data.lastSeenAt}. Rollouts of the whole fleet leave it out until it is back or removed (lockstep nodes rm ${data.nodeId})`,
    fields: [
      { label: 'Node', value: data.nodeId },
      { label: 'Hostname', value: orDash(data.hostname) },
      { label: 'Labels', value: orDash(labels) },
      { label: 'Last heartbeat', value: data.lastSeenAt },
    ],
    body: {
      label: 'What to do',
      text: `Start its agent again, or if the machine is gone for good remove it: lockstep nodes rm ${data.nodeId}`,
      format: 'markdown',
    },
    context: contextOf(event, 'node.lost'),
    severity: Severity.Warning,
    time: event.time,
  };
}

/** `message.dead_lettered`: what was given up on, by whom, why, and the command that re-drives it. */
export function summarizeDeadLettered(event: CloudEvent, data: MessageDeadLetteredV1): EventSummary {
  const redrive = `lockstep dead-letters replay --${data.kind} ${data.id}`;
  return {
    title: `A ${data.kind === 'outbox' ? 'message that cannot be published' : 'message'} waits in the dead letters`,
    fallback: `${data.service} gave up on ${data.subject}${data.eventId ? ` (${data.eventId})` : ''}: ${data.reason}. Fix the cause, then: ${redrive}`,
    fields: [
      { label: 'Service', value: data.service },
      { label: 'Subject', value: data.subject },
      { label: 'Event', value: orDash(data.eventId ?? '') },
    ],
    body: {
      label: 'Why, and what to do',
      text: `${data.reason}\n\nFix the cause, then: ${redrive}`,
      format: 'markdown',
    },
    context: contextOf(event, 'message.dead_lettered'),
    severity: Severity.Warning,
    time: event.time,
  };
}

/** `update.approval_requested`: which release waits, why, and the exact command that approves it. */
export function summarizeApprovalRequested(event: CloudEvent, data: UpdateApprovalRequestedV1): EventSummary {
  const reject = `lockstep reject ${data.component} ${data.version} --reason "why"`;
  return {
    title: `${data.component} ${data.version} waits for approval`,
    fallback: `${data.component} ${data.version} (${data.class}, running ${data.currentVersion ?? 'unknown'}) waits for approval: ${data.reason}. Approve: ${data.approveWith}`,
    fields: [
      { label: 'Component', value: data.component },
      { label: 'Version', value: data.version },
      { label: 'Current version', value: data.currentVersion ?? 'unknown' },
      { label: 'Class', value: data.class },
    ],
    body: {
      label: 'What to do',
      text: `${orDash(data.reason)}\n\nApprove (it goes out in the next maintenance window): ${data.approveWith}\nOr reject: ${reject}`,
      format: 'markdown',
    },
    context: contextOf(event, 'update.approval_requested'),
    severity: data.class === 'security' ? Severity.Critical : Severity.Warning,
    time: event.time,
  };
}

/** `update.held`: what no longer installs automatically, why, who held it, and the command that lifts it. */
export function summarizeHeld(event: CloudEvent, data: UpdateHeldV1): EventSummary {
  const what = data.version === null ? `${data.component} (every version)` : `${data.component} ${data.version}`;
  return {
    title: `${what} is held${data.automatic ? ' automatically' : ''}`,
    fallback: `Automatic installs of ${what} stopped (held by ${data.by}): ${data.reason}. Lift it with: ${data.releaseWith}`,
    fields: [
      { label: 'Component', value: data.component },
      { label: 'Version', value: data.version ?? 'every version' },
      { label: 'Held by', value: data.automatic ? `${data.by} (automatic)` : data.by },
    ],
    body: {
      label: 'Why, and what to do',
      text: `${orDash(data.reason)}\n\nOnce it is safe again: ${data.releaseWith}`,
      format: 'markdown',
    },
    context: contextOf(event, 'update.held'),
    severity: data.automatic ? Severity.Critical : Severity.Warning,
    time: event.time,
  };
}

/** Any other event: its envelope and a dump of its data. */
export function summarizeGeneric(event: CloudEvent): EventSummary {
  let dump: string;
  try {
    dump = JSON.stringify(event.data, null, 2) ?? 'null';
  } catch {
    dump = String(event.data);
  }
  return {
    title: `Lockstep event ${event.type}`,
    fallback: `Lockstep event ${event.type}${event.subject ? ` about ${event.subject}` : ''}`,
    fields: [
      { label: 'Type', value: event.type },
      { label: 'Subject', value: orDash(event.subject) },
      { label: 'Source', value: event.source },
      { label: 'Event id', value: event.id },
    ],
    body: { label: 'Data', text: truncateText(dump, GENERIC_DATA_MAX), format: 'code' },
    context: contextOf(event, event.type),
    severity: Severity.Info,
    time: event.time,
  };
}
