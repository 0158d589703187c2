import {
  EventContracts,
  Subjects,
  type CheckFailedV1,
  type ReleaseMetadataExpiringV1,
  type CloudEvent,
  type InstallCommandV1,
  type ReleaseAvailableV1,
} from '@lockstep/contracts';

// Builders of valid events and payloads for tests, the demo and benchmarks.

/** A valid `release.available` payload; override fields as needed. */
export function releasePayload(data: Partial<ReleaseAvailableV1> = {}): ReleaseAvailableV1 {
  return {
    component: 'api',
    version: '1.4.0',
    currentVersion: '1.3.2',
    scheme: 'semver',
    channel: 'stable',
    kind: 'minor',
    security: false,
    hotfix: false,
    breaking: false,
    notes: '## Changes\n- faster <startup> & less memory',
    artifact: { uri: 's3://releases/api-1.4.0.tgz', sha256: 'a'.repeat(64), length: 1234 },
    source: 'tuf',
    requires: {},
    ...data,
  };
}

/** A valid `release.available` event; override payload fields as needed. */
export function releaseEvent(
  data: Partial<ReleaseAvailableV1> = {},
  envelope: Partial<CloudEvent> = {},
): CloudEvent<ReleaseAvailableV1> {
  return {
    specversion: '1.0',
    id: 'evt-release-1',
    source: '/lockstep/checker',
    type: EventContracts[Subjects.ReleaseAvailable].type,
    time: '2025-03-01T12:00:00.000Z',
    subject: 'api',
    datacontenttype: 'application/json',
    ...envelope,
    data: releasePayload(data),
  };
}

/** A valid `check.failed` event. */
export function checkFailedEvent(data: Partial<CheckFailedV1> = {}): CloudEvent<CheckFailedV1> {
  return {
    specversion: '1.0',
    id: 'evt-check-1',
    source: '/lockstep/checker',
    type: EventContracts[Subjects.CheckFailed].type,
    time: '2025-03-01T12:00:00.000Z',
    subject: 'api',
    datacontenttype: 'application/json',
    data: {
      component: 'api',
      source: 'tuf',
      code: 'METADATA_EXPIRED',
      reason: 'timestamp.json expired; re-sign the repository metadata',
      ...data,
    },
  };
}

/** A valid `release.metadata_expiring` event (the timestamp of `api`, no online keys on the checker). */
export function metadataExpiringEvent(
  data: Partial<ReleaseMetadataExpiringV1> = {},
): CloudEvent<ReleaseMetadataExpiringV1> {
  return {
    specversion: '1.0',
    id: 'evt-expiring-1',
    source: '/lockstep/checker',
    type: EventContracts[Subjects.ReleaseMetadataExpiring].type,
    time: '2025-03-01T12:00:00.000Z',
    subject: 'api',
    datacontenttype: 'application/json',
    data: {
      component: 'api',
      role: 'timestamp',
      version: 7,
      expiresAt: '2025-03-01T20:00:00.000Z',
      online: true,
      action: 'set LOCKSTEP_TUF_ONLINE_KEYS_FILE on the checker',
      ...data,
    },
  };
}

/** An event of a type no formatter knows. */
export function otherEvent(data: unknown = { answer: 42 }): CloudEvent {
  return {
    specversion: '1.0',
    id: 'evt-other-1',
    source: '/lockstep/scheduler',
    type: 'io.lockstep.rollout.finished.v1',
    time: '2025-03-01T12:00:00.000Z',
    datacontenttype: 'application/json',
    data,
  };
}

/** A valid node install command; override fields as needed. */
export function installCommand(over: Partial<InstallCommandV1> = {}): InstallCommandV1 {
  return {
    commandId: 'c1',
    rolloutId: 'r1',
    nodeId: 'n1',
    component: 'demo',
    version: '1.1.0',
    action: 'install',
    artifact: { uri: 's3://b/k', sha256: 'a'.repeat(64), length: 10 },
    fencingToken: 5,
    lockKey: 'cluster',
    health: { minHealthyMs: 0, deadlineMs: 1000 },
    issuedAt: '2025-01-01T00:00:00.000Z',
    ...over,
  };
}
