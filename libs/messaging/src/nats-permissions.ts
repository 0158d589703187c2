import {
  BACKUP_LOCK_PREFIX,
  contractFor,
  BACKUP_OPERATIONS_CONSUMER,
  BackupSubjects,
  deadLetterSubject,
  eventWireSubject,
  FleetBuckets,
  NodeConsumers,
  NodeSubjects,
  Queries,
  Streams,
  Subjects,
  type Query,
  type Subject,
} from '@lockstep/contracts';
import { inboxPrefixFor } from './nats-connection';
import { deadLetterSubjectsOf, EventConsumers } from './service-consumers';

/**
 * Least privilege on NATS: the users and permissions of one Lockstep deployment, for
 * nats-server's `authorization { users = [...] }`. Every process connects as an NKey user
 * (the server config holds only public keys) and may publish and subscribe to what its
 * code needs and nothing else:
 * - replies come only to the user's own inbox `_INBOX_<publicKey>.>` (clients set nats.js
 *   `inboxPrefix` to {@link inboxPrefixFor}), so nobody can read another's replies;
 * - a node agent consumes only its own commands, reports only about its own node and
 *   cannot create streams, consumers or queries;
 * - each event subject has its publishers, each query its owner (the only responder) and
 *   askers, listed in the tables below;
 * - JetStream API rights name the namespace's streams one by one (no `$JS.API.>`).
 */

/** The control-plane services, each one NATS user (all replicas share it). */
export const ControlPlaneServices = ['scheduler', 'checker', 'notifier', 'api', 'backup'] as const;
export type ControlPlaneService = (typeof ControlPlaneServices)[number];

/** Who connects: a control-plane service, the agent of one node, or the operator's admin. */
export type NatsIdentity =
  { kind: 'service'; service: ControlPlaneService } | { kind: 'agent'; nodeId: string } | { kind: 'admin' };

/** Permissions of one user, in nats-server's shape (`permissions: {...}` of a user). */
export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  /** May publish one reply to the reply subject of each request it received (query responders). */
  allow_responses?: true;
}

/** One user of the generated config. */
export interface NatsUser {
  identity: NatsIdentity;
  /** NKey public key (`U…`). */
  publicKey: string;
}

/** Name of an identity, as in the config comments and seed file names: `scheduler`, `agent-<nodeId>`, `admin`. */
export function identityName(identity: NatsIdentity): string {
  switch (identity.kind) {
    case 'service':
      return identity.service;
    case 'agent':
      return `agent-${identity.nodeId}`;
    case 'admin':
      return 'admin';
  }
}

/** The identities of a deployment: every service, one agent per node, and the admin when asked for. */
export function deploymentIdentities(nodeIds: readonly string[], options: { admin?: boolean } = {}): NatsIdentity[] {
  return [
    ...ControlPlaneServices.map((service): NatsIdentity => ({ kind: 'service', service })),
    ...[...new Set(nodeIds)].sort().map((nodeId): NatsIdentity => ({ kind: 'agent', nodeId })),
    ...(options.admin ? [{ kind: 'admin' } as const] : []),
  ];
}

type Publisher = ControlPlaneService | 'agent';

/**
 * Who publishes each event (from the code: checker's and scheduler's outbox rows, the backup
 * service's catalogue and operations, the agent's install reports and pre-update backups).
 * Agents publish install events on per-node subjects `<subject>.<nodeId>`.
 */
export const EventPublishers: Record<Subject, readonly Publisher[]> = {
  [Subjects.ReleaseAvailable]: ['checker'],
  [Subjects.CheckFailed]: ['checker'],
  [Subjects.ReleaseMetadataExpiring]: ['checker'],
  [Subjects.InstallProgress]: ['agent'],
  [Subjects.InstallFinished]: ['agent'],
  [Subjects.NodeLost]: ['scheduler'],
  [Subjects.NodeRecovered]: ['scheduler'],
  [Subjects.RolloutChanged]: ['scheduler'],
  [Subjects.BackupChanged]: ['backup', 'agent'],
  [Subjects.BackupProgress]: ['backup'],
  // every service with an outbox relay or an event consumer may give up on a message
  [Subjects.MessageDeadLettered]: ['scheduler', 'checker', 'notifier', 'api', 'backup'],
  // the automatic-update engine asks through the scheduler's outbox
  [Subjects.UpdateApprovalRequested]: ['scheduler'],
  // operators' holds through the api's outbox, automatic ones (a failed rollout) through the scheduler's
  [Subjects.UpdateHeld]: ['api', 'scheduler'],
  // the api writes settings itself and announces each change through its outbox
  [Subjects.SettingsChanged]: ['api'],
};

/**
 * Who sends each command kind (exact subjects; node commands, one subject per node, are the
 * scheduler's alone and granted as `cmd.node.>`). The API records backup operations and its
 * outbox relay publishes them.
 */
export const CommandPublishers: Record<string, readonly ControlPlaneService[]> = {
  // the api records operators' backups; the backup service its own scheduled backups and prunes
  [BackupSubjects.operation]: ['api', 'backup'],
};

/**
 * The exact event and command subjects (relative to the namespace) a control-plane service
 * may publish; undefined for any other name. An outbox relay publishes only these rows of the
 * shared outbox, since its NATS user would be refused the others.
 */
export function publishedSubjectsOf(service: string): string[] | undefined {
  if (!(ControlPlaneServices as readonly string[]).includes(service)) return undefined;
  const s = service as ControlPlaneService;
  return [...Object.entries(EventPublishers), ...Object.entries(CommandPublishers)]
    .filter(([, publishers]) => publishers.includes(s))
    .map(([subject]) => subject);
}

/** Who asks each query; its owner (`qry.<owner>.…`) is the only one that answers it. */
export const QueryAskers: Record<Query, readonly ControlPlaneService[]> = {
  [Queries.CheckNow]: ['api'],
  [Queries.ComponentUpsert]: ['api'],
  [Queries.ReleaseInfo]: ['scheduler'],
  [Queries.SubscriptionUpsert]: ['api'],
  [Queries.SubscriptionDelete]: ['api'],
  [Queries.DeadLetterReplay]: ['api'],
  [Queries.SecretsRotate]: ['api'],
  [Queries.RolloutCreate]: ['api'],
  [Queries.RolloutAction]: ['api'],
  [Queries.RollbackCreate]: ['api'],
  [Queries.LockRelease]: ['api'],
  [Queries.DeadLetterList]: ['api'],
  [Queries.DeadLetterRedrive]: ['api'],
  [Queries.DeadLetterDiscard]: ['api'],
  [Queries.NodeRemove]: ['api'],
  [Queries.Updates]: ['api'],
};

/** The service answering `query` (its second token). */
export function queryOwner(query: Query): ControlPlaneService {
  const owner = query.split('.')[1] as ControlPlaneService;
  if (!ControlPlaneServices.includes(owner)) throw new Error(`query ${query} names no control-plane service as owner`);
  return owner;
}

/** Stream and bucket names of a namespace. */
export function namespaceStreams(namespace: string) {
  const upper = namespace.toUpperCase();
  const nodesBucket = `${upper}_${FleetBuckets.Nodes}`;
  const locksBucket = `${upper}_${FleetBuckets.Locks}`;
  return {
    events: `${upper}_${Streams.Events.name}`,
    commands: `${upper}_${Streams.Commands.name}`,
    deadLetters: `${upper}_${Streams.DeadLetters.name}`,
    nodesBucket,
    locksBucket,
    nodesStream: `KV_${nodesBucket}`,
    locksStream: `KV_${locksBucket}`,
  };
}

/**
 * Looking at a stream and creating it when missing (services start in any order). Changing
 * an existing stream is the scheduler's alone (streamUpdate): a service that could update
 * COMMANDS could seal it, cap it or source other subjects into it.
 */
const streamManagement = (s: string) => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.CREATE.${s}`];
const streamUpdate = (s: string) => [`$JS.API.STREAM.UPDATE.${s}`];
/** Reading one message of a stream (KV get: direct or through the API). */
const streamReads = (s: string) => [
  `$JS.API.STREAM.MSG.GET.${s}`,
  `$JS.API.DIRECT.GET.${s}`,
  `$JS.API.DIRECT.GET.${s}.>`,
];
/** Creating, inspecting and deleting consumers of a stream (durable or ordered). */
const consumerManagement = (s: string) => [
  `$JS.API.CONSUMER.CREATE.${s}`,
  `$JS.API.CONSUMER.CREATE.${s}.>`,
  `$JS.API.CONSUMER.INFO.${s}.>`,
  `$JS.API.CONSUMER.DELETE.${s}.>`,
  `$JS.API.CONSUMER.NAMES.${s}`,
  `$JS.API.CONSUMER.LIST.${s}`,
];
/** Pulling from and acknowledging a consumer (`>`: every consumer of the stream). */
const consuming = (s: string, consumer = '>') => [
  `$JS.API.CONSUMER.MSG.NEXT.${s}.${consumer}`,
  `$JS.ACK.${s}.${consumer === '>' ? '>' : `${consumer}.>`}`,
  `$JS.FC.${s}.${consumer === '>' ? '>' : `${consumer}.>`}`,
];
/** Full use of a stream: manage it and its consumers, read and consume it. */
const streamUse = (s: string) => [...streamManagement(s), ...streamReads(s), ...consumerManagement(s), ...consuming(s)];

/**
 * Every subject a consumer may dead-letter, where a re-drive publishes it again (relative to the
 * namespace): each event on its wire subjects (`<subject>.*` for per-node events: every node's
 * and the control plane's) and each command. NATS (2.9) cannot tell a re-published dead letter
 * from any other message, so this is granted to the scheduler alone, whose one code path that
 * uses it publishes only bytes read from DEAD_LETTERS, to the subject their dead-letter subject
 * covers (DeadLetterStream.redrive).
 */
function redriveSubjects(): string[] {
  const events = (Object.keys(EventPublishers) as Subject[]).map((s) => (contractFor(s)?.perNode ? `${s}.*` : s));
  return [...events, 'cmd.node.>', ...Object.keys(CommandPublishers)];
}

/** Services that read or write the KV buckets (api reads nodes and locks, the scheduler both, backup the locks). */
const KvUsers: readonly ControlPlaneService[] = ['api', 'scheduler', 'backup'];

/**
 * The permissions of one identity. `publicKey` is the identity's NKey public key: its
 * inbox `_INBOX_<publicKey>.>` is the only place it receives replies.
 */
export function natsPermissionsFor(identity: NatsIdentity, namespace: string, publicKey: string): NatsPermissions {
  const ns = (relative: string) => `${namespace}.${relative}`;
  const inbox = `${inboxPrefixFor(publicKey)}.>`;
  const st = namespaceStreams(namespace);
  switch (identity.kind) {
    case 'agent':
      return agentPermissions(identity.nodeId, ns, inbox, st);
    case 'service':
      return servicePermissions(identity.service, ns, inbox, st);
    case 'admin': {
      const all = [st.events, st.commands, st.deadLetters, st.nodesStream, st.locksStream];
      return {
        publish: {
          allow: unique([
            ns('>'),
            '$JS.API.INFO',
            ...all.flatMap((s) => [
              ...streamUse(s),
              ...streamUpdate(s),
              `$JS.API.STREAM.DELETE.${s}`,
              `$JS.API.STREAM.PURGE.${s}`,
            ]),
            `$KV.${st.nodesBucket}.>`,
            `$KV.${st.locksBucket}.>`,
          ]),
        },
        subscribe: { allow: [inbox, ns('>')] },
        allow_responses: true,
      };
    }
  }
}

type Ns = (relative: string) => string;
type StreamNames = ReturnType<typeof namespaceStreams>;

function agentPermissions(nodeId: string, ns: Ns, inbox: string, st: StreamNames): NatsPermissions {
  const consumer = NodeConsumers.installer(nodeId);
  const events = (Object.keys(EventPublishers) as Subject[])
    .filter((s) => EventPublishers[s].includes('agent'))
    .map((s) => ns(eventWireSubject(s, nodeId)));
  return {
    publish: {
      allow: [
        '$JS.API.INFO',
        `$JS.API.CONSUMER.INFO.${st.commands}.${consumer}`,
        `$JS.API.CONSUMER.MSG.NEXT.${st.commands}.${consumer}`,
        `$JS.ACK.${st.commands}.${consumer}.>`,
        ...events,
        ns(deadLetterSubject(NodeSubjects.allFor(nodeId))),
        `$KV.${st.nodesBucket}.${nodeId}`,
        `$JS.API.STREAM.INFO.${st.nodesStream}`,
        `$JS.API.STREAM.INFO.${st.locksStream}`,
        ...streamReads(st.locksStream),
        `$KV.${st.locksBucket}.${BACKUP_LOCK_PREFIX}.init`,
        `$KV.${st.locksBucket}.${BACKUP_LOCK_PREFIX}.shared.>`,
      ],
    },
    subscribe: { allow: [inbox] },
  };
}

function servicePermissions(service: ControlPlaneService, ns: Ns, inbox: string, st: StreamNames): NatsPermissions {
  // Every service ensures the three streams at start. Consumers: on EVENTS only services
  // with event handlers, on COMMANDS only the scheduler (node consumers) and backup (its
  // operations consumer), on DEAD_LETTERS nobody: the scheduler reads it message by message and
  // deletes what it re-drives (operators ask it through the API).
  const allow = ['$JS.API.INFO', ...[st.events, st.commands, st.deadLetters].flatMap(streamManagement)];
  if (EventConsumers[service].length > 0) allow.push(...consumerManagement(st.events), ...consuming(st.events));
  if (service === 'scheduler')
    allow.push(
      ...[st.events, st.commands, st.deadLetters].flatMap(streamUpdate),
      ...streamReads(st.commands),
      ...consumerManagement(st.commands),
      // withdrawing an install that ran past its progress deadline (nobody else deletes commands)
      `$JS.API.STREAM.MSG.DELETE.${st.commands}`,
      ...streamReads(st.deadLetters),
      `$JS.API.STREAM.MSG.DELETE.${st.deadLetters}`,
    );
  if (service === 'backup') {
    const c = BACKUP_OPERATIONS_CONSUMER;
    allow.push(
      `$JS.API.CONSUMER.CREATE.${st.commands}.${c}.${ns(BackupSubjects.operation)}`,
      `$JS.API.CONSUMER.INFO.${st.commands}.${c}`,
      ...consuming(st.commands, c),
    );
  }
  if (KvUsers.includes(service)) allow.push(...streamUse(st.nodesStream), ...streamUse(st.locksStream));

  // a per-node event the control plane publishes goes on its `._control` subject (eventWireSubject)
  allow.push(
    ...publishedSubjectsOf(service)!.map((s) => ns(contractFor(s)?.perNode ? eventWireSubject(s as Subject) : s)),
    ...deadLetterSubjectsOf(service).map(ns),
  );
  if (service === 'scheduler') allow.push(...redriveSubjects().map(ns));

  // The scheduler takes rollout locks (any key) and force-releases any stuck lock for an
  // operator (`lockstep locks release`), backup-repository ones too; backup takes only those.
  if (service === 'scheduler') allow.push(`$KV.${st.locksBucket}.>`);
  // `lockstep nodes rm`: the scheduler deletes a dead node's record (a delete marker is a publish
  // on the key's subject, which NATS cannot tell from a write) and its command consumer (above).
  if (service === 'scheduler') allow.push(`$KV.${st.nodesBucket}.*`);
  if (service === 'backup') allow.push(`$KV.${st.locksBucket}.${BACKUP_LOCK_PREFIX}.>`);

  for (const [query, askers] of Object.entries(QueryAskers) as [Query, readonly ControlPlaneService[]][]) {
    if (askers.includes(service)) allow.push(ns(query));
  }
  const answers = (Object.keys(QueryAskers) as Query[]).some((q) => queryOwner(q) === service);
  return {
    publish: { allow: unique(allow) },
    subscribe: { allow: answers ? [inbox, ns(`qry.${service}.>`)] : [inbox] },
    ...(answers ? { allow_responses: true as const } : {}),
  };
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/**
 * The nats-server config fragment for `users`: `authorization { users = [...] }`, one user
 * per identity with a comment naming it. Meant to be `include`d from the server config.
 */
export function renderNatsAuthorization(namespace: string, users: readonly NatsUser[]): string {
  const q = (s: string) => JSON.stringify(s);
  const list = (xs: readonly string[], indent: string) =>
    `[\n${xs.map((x) => `${indent}  ${q(x)}`).join('\n')}\n${indent}]`;
  const blocks = users.map(({ identity, publicKey }) => {
    const p = natsPermissionsFor(identity, namespace, publicKey);
    const pad = '          ';
    return [
      `    # ${identityName(identity)}`,
      `    {`,
      `      nkey: ${q(publicKey)}`,
      `      permissions: {`,
      `        publish: {`,
      `          allow: ${list(p.publish.allow, pad)}`,
      `        }`,
      `        subscribe: {`,
      `          allow: ${list(p.subscribe.allow, pad)}`,
      `        }`,
      ...(p.allow_responses ? [`        allow_responses: true`] : []),
      `      }`,
      `    }`,
    ].join('\n');
  });
  return [
    `# Lockstep NATS users for namespace "${namespace}" (generated by \`lockstep nats config\`; edits are overwritten).`,
    `# Each user is an NKey; its seed stays with the process that connects as it.`,
    `authorization {`,
    `  users = [`,
    blocks.join('\n'),
    `  ]`,
    `}`,
    ``,
  ].join('\n');
}
