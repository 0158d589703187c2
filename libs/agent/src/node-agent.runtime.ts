import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import { LiveLockReader } from '@lockstep/fleet-lock';
import { MinioObjectStore, type ObjectStore } from '@lockstep/storage';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from './app/app-directory';
import { guardStartsByBackupTargets, settleBackupTargets } from './app/backup-targets';
import { unpackTarGz } from './archive/archive-unpacker';
import { ConfigMigrator } from './config/config-migrator';
import { ArtifactDownloader, type ObjectStoreFor } from './download/artifact-downloader';
import { AgentErrorCode, InstallStepError } from './errors';
import { CommandAdmission } from './fencing/command-admission';
import { FencingStore } from './fencing/fencing-store';
import { HealthGate, httpHealthProbe, systemHealthDeps, type HealthProbe } from './health/health-gate';
import { MigrateHookRunner } from './hooks/migrate-hook.runner';
import { InstallPipeline } from './install/install-pipeline';
import { CommandJournal } from './journal/command-journal';
import { openAgentBackups } from './app/agent-backups';
import { JetStreamInstallEvents } from './nats/jetstream-install-events';
import { NodeCommandConsumer } from './nats/node-command.consumer';
import { NodeHeartbeat } from './nats/node-heartbeat';
import { NodeAgent, type InstallEventSink } from './node-agent';
import { createServiceManager } from './service-managers/registry';
import type { ServiceManager } from './service-managers/service-manager';
import type { AgentSettings } from './settings';
import { agentLogger, type AgentLogger } from './support/logger';
import { NpmSignatureVerifier } from './verify/npm-signature-verifier';
import { TufArtifactVerifier } from './verify/tuf-artifact-verifier';
import type { InstallCommandV1 } from '@lockstep/contracts';
import type { DownloadedArtifact } from './download/artifact-downloader';

/** Default lock whose live holder an agent obeys: the scheduler's cluster lock. */
export const DEFAULT_AGENT_LOCK_KEY = 'cluster';
/** Default AGENT_COMMAND_MAX_AGE. */
export const DEFAULT_COMMAND_MAX_AGE_MS = 10 * 60_000;

/** Name of the setting listing the non-public addresses an agent may fetch metadata and artifacts from. */
export const AGENT_ALLOWED_DESTINATIONS = 'AGENT_ALLOWED_DESTINATIONS';

/** Version of the agent, reported in the node record. */
export const AGENT_VERSION = '0.1.0';

/** How the runtime reaches NATS. */
export interface AgentNats {
  nc: NatsConnection;
  namespace: string;
  /** Stream and bucket replicas (1 on a single server, 3 in a cluster). */
  replicas?: number;
}

/** Replaceable parts, for tests and benchmarks running many agents in one process. */
export interface AgentRuntimeOverrides {
  logger?: AgentLogger;
  storeFor?: ObjectStoreFor;
  events?: InstallEventSink;
  serviceManager?: ServiceManager;
  /** Replaces the HTTP probe of AGENT_HEALTH_URL (e.g. an always-healthy probe in a benchmark). */
  healthProbe?: HealthProbe;
  /** The clock commands' `issuedAt` is judged by (epoch ms; default Date.now). */
  now?: () => number;
}

/**
 * One node agent, wired: app directory, journal, fencing store, service manager, install
 * pipeline, node registration (KV heartbeat) and the command consumer. `start()` brings the
 * app up from `current`, registers the node, finishes interrupted commands, then consumes;
 * `stop()` drains. Several runtimes can share one NATS connection.
 */
export class NodeAgentRuntime {
  readonly dir: AppDirectory;
  readonly app: ServiceManager;
  private agent?: NodeAgent;
  private heartbeat?: NodeHeartbeat;
  /** Directories a data restore may put back (BACKUP_* paths), checked at start for an interrupted one. */
  private restoreTargets: string[] = [];
  private consumer?: NodeCommandConsumer;
  private background?: Promise<void>;
  private readonly logger: AgentLogger;

  constructor(
    readonly settings: AgentSettings,
    private readonly nats: AgentNats,
    private readonly overrides: AgentRuntimeOverrides = {},
  ) {
    this.logger = overrides.logger ?? agentLogger(`agent ${settings.nodeId}`);
    this.dir = new AppDirectory(settings.dir);
    // the app never starts while one of its backup targets is missing or half restored
    this.app = guardStartsByBackupTargets(
      overrides.serviceManager ??
        createServiceManager(settings.serviceManager, {
          dir: this.dir,
          settings: settings.serviceManagerSettings,
          logger: this.logger,
        }),
      () => this.restoreTargets,
    );
  }

  /** The agent's decision layer (available after start). */
  get nodeAgent(): NodeAgent | undefined {
    return this.agent;
  }

  async start(): Promise<void> {
    const s = this.settings;
    const journal = await CommandJournal.open(join(this.dir.stateDir, 'journal.json'));
    await this.dir.init(journal.unfinished().flatMap((e) => (e.config ? [e.config.backup] : [])));
    const fencing = await FencingStore.open(join(this.dir.stateDir, 'fencing.json'));
    const js = jetstream(this.nats.nc);
    // The streams, buckets and this node's consumer are the control plane's to create: a
    // node's NATS user may not (see `lockstep nats config`).
    const jsm = await jetstreamManager(this.nats.nc);

    const storeFor = this.overrides.storeFor ?? cachedStores(s);
    const guardedFetch = createGuardedFetch({
      allowList: AllowList.parse(s.allowedDestinations ?? '', AGENT_ALLOWED_DESTINATIONS),
    });
    const downloader = new ArtifactDownloader(storeFor, s.downloadTimeoutMs, guardedFetch);
    const tuf = s.trustedRoot
      ? new TufArtifactVerifier({
          pinnedRoot: s.trustedRoot,
          stateDir: this.dir.stateDir,
          storeFor,
          metadataUrl: s.tufMetadataUrl,
          timeoutMs: s.downloadTimeoutMs,
          fetch: guardedFetch,
        })
      : undefined;
    const npm = s.npm ? new NpmSignatureVerifier(s.npm, downloader.getJson) : undefined;
    if (!tuf && !npm)
      this.logger.error(
        'no trust anchor is pinned (AGENT_TRUSTED_ROOT, or AGENT_NPM_KEYS for an npm component): every command will be refused with NO_TRUST_ANCHOR',
      );
    const opened = await openAgentBackups({
      settings: s,
      dir: this.dir,
      nats: this.nats,
      js,
      journal,
      logger: this.logger,
    });
    this.restoreTargets = opened.restoreTargets;
    const backups = opened.deps;
    const pipeline = new InstallPipeline({
      ...backups,
      dir: this.dir,
      journal,
      checkAnchor: (cmd) => tuf?.assertCovers(cmd.component, cmd.artifact.uri),
      download: (uri, path, maxBytes, signal) => downloader.download(uri, path, maxBytes, signal),
      verify: (cmd, artifact, signal) => verifyArtifact(cmd, artifact, { tuf, npm }, signal),
      unpack: unpackTarGz,
      config: new ConfigMigrator(this.dir.sharedDir),
      hook: new MigrateHookRunner(s.hookTimeoutMs),
      app: this.app,
      health: new HealthGate(
        systemHealthDeps(this.overrides.healthProbe ?? httpHealthProbe(s.healthUrl, s.healthTimeoutMs)),
        s.healthIntervalMs,
      ),
      freeDisk: async (path) => {
        const fsInfo = await statfs(path);
        return fsInfo.bavail * fsInfo.bsize;
      },
      limits: {
        minFreeDiskBytes: s.minFreeDiskBytes,
        maxArtifactBytes: s.maxArtifactBytes,
        maxUnpackedBytes: s.maxUnpackedBytes,
        unpackTimeoutMs: s.unpackTimeoutMs,
        keepReleases: s.keepReleases,
      },
      logger: this.logger,
    });
    const events = this.overrides.events ?? new JetStreamInstallEvents(js, this.nats.namespace);
    this.heartbeat = new NodeHeartbeat(js, this.nats.namespace, () => this.record(), s.heartbeatMs, this.logger);
    const lock = new LiveLockReader(this.nats.nc, this.nats.namespace);
    const admission = new CommandAdmission(
      {
        lockKey: s.lockKey ?? DEFAULT_AGENT_LOCK_KEY,
        maxAgeMs: s.commandMaxAgeMs ?? DEFAULT_COMMAND_MAX_AGE_MS,
        now: this.overrides.now ?? Date.now,
      },
      (key) => lock.holder(key),
    );
    const agent = new NodeAgent(
      { nodeId: s.nodeId, component: s.component, trustAnchor: tuf ? 'tuf' : npm ? 'npm' : null },
      this.dir,
      journal,
      fencing,
      pipeline,
      events,
      this.logger,
      admission,
      () => void this.heartbeat?.beat(),
    );
    this.agent = agent;
    this.consumer = new NodeCommandConsumer(
      js,
      jsm,
      agent,
      { namespace: this.nats.namespace, nodeId: s.nodeId, ackWaitMs: s.ackWaitMs ?? 30_000 },
      this.logger,
    );

    await this.heartbeat.open();
    // a restore swap killed midway is finished (or undone) before the app sees its data; a missing target keeps it stopped
    const problems = await settleBackupTargets(this.restoreTargets);
    for (const problem of problems) this.logger.error(problem);
    // a command killed in or after its data restore, before its swap: resuming it decides what runs
    // on that data (it puts the replaced data back first), so the app is not started on it now
    const restoring = journal
      .unfinished()
      .find((e) => !e.swap && (e.step === 'restoring_data' || e.restoredBackupId !== undefined));
    if (problems.length)
      this.logger.error(
        'a backup target is missing or an interrupted restore could not be finished (see above): the app stays stopped until that is sorted out and the agent restarted',
      );
    else if (restoring)
      this.logger.warn(
        `command ${restoring.commandId} was interrupted in or after its data restore: the app stays stopped until it is resumed`,
      );
    else if (await this.dir.currentVersion())
      await this.app
        .start()
        .catch((err: Error) => this.logger.error(`cannot start the app from current: ${err.message}`));
    await this.heartbeat.beat();
    this.heartbeat.start();
    this.background = (async () => {
      await agent
        .recover()
        .catch((err: Error) => this.logger.error(`could not finish an interrupted command: ${err.message}`));
      this.consumer!.start();
    })();
  }

  /** Stops consuming, lets the command in progress finish (up to drainMs, then interrupts it at a safe point), stops the heartbeat and the app. */
  async stop(): Promise<void> {
    const agent = this.agent;
    this.consumer?.halt();
    if (agent) {
      const drained = await Promise.race([
        agent.idle().then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), this.settings.drainMs).unref()),
      ]);
      if (!drained) {
        this.logger.warn(
          `the command in progress did not finish within ${this.settings.drainMs} ms; interrupting it (the journal lets the next start finish it)`,
        );
        agent.interrupt();
      }
    }
    await this.consumer?.stop();
    await this.background;
    await this.heartbeat?.stop();
    await this.app.close().catch((err: Error) => this.logger.error(`could not stop the app: ${err.message}`));
  }

  private async record() {
    const s = this.settings;
    const version = await this.dir.currentVersion().catch(() => null);
    return {
      id: s.nodeId,
      hostname: s.hostname ?? hostname(),
      labels: s.labels,
      components: version ? { [s.component]: version } : {},
      manages: [s.component],
      agentVersion: AGENT_VERSION,
      state: this.agent?.installState ?? 'starting',
    };
  }
}

/**
 * The command's sha256/length first, then the pinned anchor: the TUF root, else the npm
 * registry keys. Never the command's sha256 alone (NodeAgent refuses such commands before
 * anything is downloaded; this is the last line should one get here).
 */
async function verifyArtifact(
  cmd: InstallCommandV1,
  artifact: DownloadedArtifact,
  anchors: { tuf?: TufArtifactVerifier; npm?: NpmSignatureVerifier },
  signal: AbortSignal,
): Promise<void> {
  if (artifact.sha256 !== cmd.artifact.sha256 || artifact.length !== cmd.artifact.length) {
    throw new InstallStepError(
      AgentErrorCode.ArtifactMismatch,
      `artifact ${cmd.artifact.uri} has sha256 ${artifact.sha256} and ${artifact.length} bytes, but the command says sha256 ${cmd.artifact.sha256} and ${cmd.artifact.length} bytes; it was changed in storage or in transit. Not installed`,
      { step: 'verifying' },
    );
  }
  if (anchors.tuf) return anchors.tuf.verify(cmd.component, cmd.version, cmd.artifact.uri, artifact, signal);
  if (anchors.npm) return anchors.npm.verify(cmd.version, artifact.path, artifact, signal);
  throw new InstallStepError(
    AgentErrorCode.TufNotConfigured,
    "no trust anchor is pinned on this node; pin the component's root.json (AGENT_TRUSTED_ROOT) or the npm registry keys (AGENT_NPM_KEYS). Not installed",
    { step: 'verifying' },
  );
}

function cachedStores(s: AgentSettings): ObjectStoreFor {
  const stores = new Map<string, ObjectStore>();
  return (bucket) => {
    if (!s.s3)
      throw new InstallStepError(
        AgentErrorCode.DownloadFailed,
        'S3_ENDPOINT is not set, so s3:// artifacts cannot be read',
        { step: 'downloading' },
      );
    let store = stores.get(bucket);
    if (!store) {
      store = new MinioObjectStore({ ...s.s3, bucket });
      stores.set(bucket, store);
    }
    return store;
  };
}
