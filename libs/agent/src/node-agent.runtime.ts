import { ensureStreams } from '@lockstep/messaging';
import { MinioObjectStore, type ObjectStore } from '@lockstep/storage';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppDirectory } from './app/app-directory';
import { unpackTarGz } from './archive/archive-unpacker';
import { ConfigMigrator } from './config/config-migrator';
import { ArtifactDownloader, parseS3Uri, type ObjectStoreFor } from './download/artifact-downloader';
import { AgentErrorCode, InstallStepError } from './errors';
import { FencingStore } from './fencing/fencing-store';
import { HealthGate, httpHealthProbe, systemHealthDeps, type HealthProbe } from './health/health-gate';
import { MigrateHookRunner } from './hooks/migrate-hook.runner';
import { InstallPipeline } from './install/install-pipeline';
import { CommandJournal } from './journal/command-journal';
import { JetStreamInstallEvents } from './nats/jetstream-install-events';
import { NodeCommandConsumer } from './nats/node-command.consumer';
import { NodeRegistry } from './nats/node-registry';
import { NodeAgent, type InstallEventSink } from './node-agent';
import { createServiceManager } from './service-managers/registry';
import type { ServiceManager } from './service-managers/service-manager';
import type { AgentSettings } from './settings';
import { agentLogger, type AgentLogger } from './support/logger';
import { TufArtifactVerifier } from './verify/tuf-artifact-verifier';
import type { InstallCommandV1 } from '@lockstep/contracts';
import type { DownloadedArtifact } from './download/artifact-downloader';

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
  private registry?: NodeRegistry;
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
    this.app = overrides.serviceManager ?? createServiceManager(settings.serviceManager, { dir: this.dir, settings: settings.serviceManagerSettings, logger: this.logger });
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
    const jsm = await jetstreamManager(this.nats.nc);
    await ensureStreams(jsm, this.nats.namespace, this.nats.replicas ?? 1);

    const storeFor = this.overrides.storeFor ?? cachedStores(s);
    const downloader = new ArtifactDownloader(storeFor, s.downloadTimeoutMs);
    const tuf = s.trustedRoot ? new TufArtifactVerifier({ pinnedRoot: s.trustedRoot, stateDir: this.dir.stateDir, storeFor, metadataUrl: s.tufMetadataUrl, timeoutMs: s.downloadTimeoutMs }) : undefined;
    const pipeline = new InstallPipeline({
      dir: this.dir,
      journal,
      download: (uri, path, maxBytes, signal) => downloader.download(uri, path, maxBytes, signal),
      verify: (cmd, artifact, signal) => verifyArtifact(cmd, artifact, tuf, this.logger, signal),
      unpack: unpackTarGz,
      config: new ConfigMigrator(this.dir.sharedDir),
      hook: new MigrateHookRunner(s.hookTimeoutMs),
      app: this.app,
      health: new HealthGate(systemHealthDeps(this.overrides.healthProbe ?? httpHealthProbe(s.healthUrl, s.healthTimeoutMs)), s.healthIntervalMs),
      freeDisk: async (path) => {
        const fsInfo = await statfs(path);
        return fsInfo.bavail * fsInfo.bsize;
      },
      limits: { minFreeDiskBytes: s.minFreeDiskBytes, maxArtifactBytes: s.maxArtifactBytes, maxUnpackedBytes: s.maxUnpackedBytes, keepReleases: s.keepReleases },
      logger: this.logger,
    });
    const events = this.overrides.events ?? new JetStreamInstallEvents(js, this.nats.namespace);
    this.registry = new NodeRegistry(js, this.nats.namespace, () => this.record(), s.heartbeatMs, this.logger, this.nats.replicas ?? 1);
    const agent = new NodeAgent({ nodeId: s.nodeId, component: s.component }, this.dir, journal, fencing, pipeline, events, this.logger, () => void this.registry?.beat());
    this.agent = agent;
    this.consumer = new NodeCommandConsumer(js, jsm, agent, { namespace: this.nats.namespace, nodeId: s.nodeId, ackWaitMs: s.ackWaitMs ?? 30_000 }, this.logger);

    await this.registry.open();
    await this.consumer.ensure();
    if (await this.dir.currentVersion()) await this.app.start().catch((err: Error) => this.logger.error(`cannot start the app from current: ${err.message}`));
    await this.registry.beat();
    this.registry.start();
    this.background = (async () => {
      await agent.recover().catch((err: Error) => this.logger.error(`could not finish an interrupted command: ${err.message}`));
      this.consumer!.start();
    })();
  }

  /** Stops consuming, lets the command in progress finish (up to drainMs, then interrupts it at a safe point), stops the heartbeat and the app. */
  async stop(): Promise<void> {
    const agent = this.agent;
    this.consumer?.halt();
    if (agent) {
      const drained = await Promise.race([agent.idle().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), this.settings.drainMs).unref())]);
      if (!drained) {
        this.logger.warn(`the command in progress did not finish within ${this.settings.drainMs} ms; interrupting it (the journal lets the next start finish it)`);
        agent.interrupt();
      }
    }
    await this.consumer?.stop();
    await this.background;
    await this.registry?.stop();
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

/** The command's sha256/length first, then TUF (required for s3:// artifacts). */
async function verifyArtifact(cmd: InstallCommandV1, artifact: DownloadedArtifact, tuf: TufArtifactVerifier | undefined, logger: AgentLogger, signal: AbortSignal): Promise<void> {
  if (artifact.sha256 !== cmd.artifact.sha256 || artifact.length !== cmd.artifact.length) {
    throw new InstallStepError(
      AgentErrorCode.ArtifactMismatch,
      `artifact ${cmd.artifact.uri} has sha256 ${artifact.sha256} and ${artifact.length} bytes, but the command says sha256 ${cmd.artifact.sha256} and ${cmd.artifact.length} bytes; it was changed in storage or in transit. Not installed`,
      { step: 'verifying' },
    );
  }
  if (tuf) return tuf.verify(cmd.component, cmd.version, cmd.artifact.uri, artifact, signal);
  if (parseS3Uri(cmd.artifact.uri)) {
    throw new InstallStepError(AgentErrorCode.TufNotConfigured, `AGENT_TRUSTED_ROOT is not set, and s3:// artifacts are installed only after TUF verification; pin the component's root.json`, { step: 'verifying' });
  }
  logger.warn(`${cmd.artifact.uri} checked against the command's sha256 only: AGENT_TRUSTED_ROOT is not set`);
}

function cachedStores(s: AgentSettings): ObjectStoreFor {
  const stores = new Map<string, ObjectStore>();
  return (bucket) => {
    if (!s.s3) throw new InstallStepError(AgentErrorCode.DownloadFailed, 'S3_ENDPOINT is not set, so s3:// artifacts cannot be read', { step: 'downloading' });
    let store = stores.get(bucket);
    if (!store) {
      store = new MinioObjectStore({ ...s.s3, bucket });
      stores.set(bucket, store);
    }
    return store;
  };
}
