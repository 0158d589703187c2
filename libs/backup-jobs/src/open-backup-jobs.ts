import { BackupEngine, defaultCompressor } from '@lockstep/backup-engine';
import type { BackupRecordV1 } from '@lockstep/contracts';
import { FleetLock } from '@lockstep/fleet-lock';
import { MinioObjectStore, type S3Settings } from '@lockstep/storage';
import type { NatsConnection } from '@nats-io/nats-core';
import { BackupJobs, type ControlPlaneDatabase } from './backup-jobs';
import type { BackupTargets } from './backup-targets';
import { BackupRepositoryLock } from './repository-lock';
import type { BackupSettings } from './settings';
import { StoredFrames } from './stored-frames';

/** What a host needs to run backup jobs. */
export interface OpenBackupJobsOptions {
  nc: NatsConnection;
  namespace: string;
  /** Lock holder name shown by `lockstep locks` (e.g. `backup@host` or `node-1`). */
  holder: string;
  settings: BackupSettings;
  /** S3 endpoint and credentials; the bucket is BACKUP_BUCKET. */
  s3: Omit<S3Settings, 'bucket'>;
  /** Targets; defaults to the BACKUP_* paths and URLs of the settings. */
  targets?: BackupTargets;
  /** Cluster lock lease (bucket TTL) when the lock bucket does not exist yet. */
  leaseMs?: number;
  replicas?: number;
  /** false: use the lock bucket but never create it (node agents); see FleetLockOptions.create. */
  createLockBucket?: boolean;
  record: (backup: BackupRecordV1) => Promise<void>;
  /** Lockstep's own database, when this host backs it up: see ControlPlaneDatabase. */
  controlPlane?: ControlPlaneDatabase;
}

/** The targets the BACKUP_* settings name. */
export function targetsFromSettings(s: BackupSettings): BackupTargets {
  return {
    config: s.BACKUP_CONFIG_PATHS,
    data: s.BACKUP_DATA_PATHS,
    logs: s.BACKUP_LOG_PATHS,
    databases: s.BACKUP_DATABASE_URLS,
    excludes: s.BACKUP_EXCLUDES,
  };
}

/**
 * Opens BackupJobs over the BACKUP_BUCKET repository and the cluster lock bucket. The
 * repository is opened on first use (and again after a failure), so a host starts while S3
 * is down and its backups fail with S3's error instead of the process.
 */
export async function openBackupJobs(o: OpenBackupJobsOptions): Promise<BackupJobs> {
  const lock = await FleetLock.open(o.nc, o.namespace, {
    holder: o.holder,
    leaseMs: o.leaseMs,
    replicas: o.replicas,
    create: o.createLockBucket,
  });
  const store = new MinioObjectStore({ ...o.s3, bucket: o.settings.BACKUP_BUCKET });
  const zstd = defaultCompressor(3);
  const repositoryLock = new BackupRepositoryLock(lock, {
    waitMs: o.settings.BACKUP_LOCK_WAIT,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  const engines = new Map<boolean, Promise<BackupEngine>>();
  const engine = ({ compress }: { compress: boolean }): Promise<BackupEngine> => {
    let opened = engines.get(compress);
    if (!opened) {
      opened = repositoryLock.initializing(() =>
        BackupEngine.open(store, {
          passphrase: o.settings.BACKUP_KEY,
          compressor: compress ? zstd : new StoredFrames(zstd),
        }),
      );
      opened.catch(() => engines.delete(compress));
      engines.set(compress, opened);
    }
    return opened;
  };
  return new BackupJobs({
    engine,
    lock: repositoryLock,
    targets: o.targets ?? targetsFromSettings(o.settings),
    record: o.record,
    encrypted: Boolean(o.settings.BACKUP_KEY),
    ...(o.controlPlane && { controlPlane: o.controlPlane }),
  });
}
