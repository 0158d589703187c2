import type { BackupSettings } from '@lockstep/backup-jobs';
import type { ServiceManagerKind } from './service-managers/registry';
import type { ServiceManagerSettings } from './service-managers/service-manager';
import type { NpmAnchorOptions } from './verify/npm-signature-verifier';

/** Everything one node agent needs to know, already validated (the installer parses it from the environment). */
export interface AgentSettings {
  /** NODE_ID: this node's id (a subject token). */
  nodeId: string;
  /** NODE_LABELS, e.g. { group: 'canary', zone: 'a' }. */
  labels: Record<string, string>;
  /** Reported hostname; default os.hostname(). */
  hostname?: string;
  /** AGENT_DIR: the application directory (releases/, current, shared/, state/). */
  dir: string;
  /** AGENT_COMPONENT: the component this node runs. */
  component: string;
  /** AGENT_SERVICE_MANAGER and its settings. */
  serviceManager: ServiceManagerKind;
  serviceManagerSettings: ServiceManagerSettings;
  /** AGENT_HEALTH_URL: answers 2xx when the app is healthy. */
  healthUrl: string;
  /** AGENT_HEALTH_INTERVAL: time between health probes. */
  healthIntervalMs: number;
  /** AGENT_HEALTH_TIMEOUT: deadline of one probe. */
  healthTimeoutMs: number;
  /** AGENT_KEEP_RELEASES: releases kept for instant rollback (the current and previous one always are). */
  keepReleases: number;
  /** AGENT_MIN_FREE_DISK, AGENT_MAX_ARTIFACT_BYTES, AGENT_MAX_UNPACKED_BYTES. */
  minFreeDiskBytes: number;
  maxArtifactBytes: number;
  maxUnpackedBytes: number;
  /** AGENT_UNPACK_TIMEOUT: longest an unpack may take (default 10 min). */
  unpackTimeoutMs?: number;
  /**
   * AGENT_TRUSTED_ROOT contents: the pinned TUF root.json. This or `npm` is required: an agent
   * without a pinned trust anchor refuses every command (NO_TRUST_ANCHOR).
   */
  trustedRoot?: Buffer;
  /** AGENT_NPM_REGISTRY, AGENT_NPM_PACKAGE, AGENT_NPM_KEYS: an npm component's anchor, the registry signing keys pinned on the node. */
  npm?: NpmAnchorOptions;
  /** AGENT_TUF_METADATA_URL: where the component's TUF metadata is (default: next to an s3:// artifact). */
  tufMetadataUrl?: string;
  /**
   * AGENT_ALLOWED_DESTINATIONS: non-public addresses (keywords such as `loopback`, `private`, or
   * CIDRs) http(s) artifacts, TUF metadata and the npm registry may be fetched from; default none.
   */
  allowedDestinations?: string;
  /** S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY for s3:// artifacts and metadata. */
  s3?: { endpoint: string; accessKey: string; secretKey: string };
  /** AGENT_DOWNLOAD_TIMEOUT, AGENT_HOOK_TIMEOUT. */
  downloadTimeoutMs: number;
  hookTimeoutMs: number;
  /** AGENT_HEARTBEAT: how often the node record is refreshed. */
  heartbeatMs: number;
  /** How long a stop waits for the command in progress before interrupting it at a safe point. */
  drainMs: number;
  /** BACKUP_* settings and AGENT_BACKUP_BEFORE_UPDATE: pre-update backups and rollback --restore-data (absent: this node takes none). */
  backup?: { settings: BackupSettings; beforeUpdate: boolean };
  /** AGENT_LOCK_KEY: the lock whose live holder this agent obeys (default `cluster`, the scheduler's). */
  lockKey?: string;
  /** AGENT_COMMAND_MAX_AGE: a command issued longer ago (or further ahead) than this is refused. Default 10 min. */
  commandMaxAgeMs?: number;
  /** JetStream ack wait of the command consumer. Default 30 s. */
  ackWaitMs?: number;
}
