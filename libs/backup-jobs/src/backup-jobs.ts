import {
  BackupEngineError,
  BackupErrorCode,
  selectRetention,
  type RetentionPlan,
  type RetentionPolicy,
  type BackupEngine,
  type BackupManifest,
  type VerifyReport,
} from '@lockstep/backup-engine';
import type { BackupRecordV1, BackupTrigger, BackupType } from '@lockstep/contracts';
import type { LeaseLost } from '@lockstep/fleet-lock';
import { completedRecord, corruptedRecord, newBackupRecord, pickIdentity } from './backup-records';
import { planBackup, type BackupTargets } from './backup-targets';
import { BackupJobError, BackupJobErrorCode, type BackupJobFailureCode } from './errors';
import type { BackupRepositoryLock } from './repository-lock';
import { RestoreJob, type ControlPlaneDatabase, type RestoreOutcome, type RestoreRequest } from './restore-job';

export type { ControlPlaneDatabase, ControlPlaneRestored } from './restore-job';

/** One progress report of a backup operation. */
export interface JobProgress {
  step: string;
  /** 0..100 over the whole operation. */
  percent: number;
  message?: string;
}

/** Everything a job needs; the backup service and the node agent each provide their own. */
export interface BackupJobDeps {
  /** The engine over the repository bucket; `compress: false` gives one writing stored frames. */
  engine(options: { compress: boolean }): Promise<BackupEngine>;
  lock: BackupRepositoryLock;
  targets: BackupTargets;
  /** Records a catalogue change (the backup service writes it; an agent publishes it). */
  record(backup: BackupRecordV1): Promise<void>;
  /** Whether the repository is encrypted (BACKUP_KEY set). */
  encrypted: boolean;
  now?: () => Date;
  /** Lockstep's own database, when this host backs it up (the backup service); see ControlPlaneDatabase. */
  controlPlane?: ControlPlaneDatabase;
}

/** What a new backup is. */
export interface CreateBackupRequest {
  id: string;
  type: BackupType;
  trigger: BackupTrigger;
  description?: string;
  includeLogs?: boolean;
  compress?: boolean;
  component: string;
  componentVersion: string | null;
  nodeId: string | null;
  rolloutId?: string | null;
  /** Operation (or install command) id the repository lock is held under. */
  operationId: string;
}

/** What a prune did (or, dry-run, would do). */
export interface PruneOutcome {
  dryRun: boolean;
  removedBackups: string[];
  removedPacks: number;
  keptPacks: number;
  freedBytes: number;
  plan: RetentionPlan;
}

const codeOf = (err: unknown): BackupJobFailureCode =>
  (err as { code?: BackupJobFailureCode } | undefined)?.code ?? BackupJobErrorCode.Failed;
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Backup operations as the product runs them: plan the targets for a type, hold the
 * repository's shared lock, run the engine with progress, and record every catalogue
 * change (creating → completed | failed; verified | corrupted). Shared by the backup
 * service (its own targets, operator requests) and the node agent (pre-update backups).
 */
export class BackupJobs {
  constructor(private readonly deps: BackupJobDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Takes a backup; resolves with the completed entry or throws BackupJobError after recording it failed. */
  async create(
    req: CreateBackupRequest,
    onProgress: (p: JobProgress) => void = () => undefined,
    signal?: AbortSignal,
  ): Promise<BackupRecordV1> {
    const started = this.now();
    const base = this.creatingRecord(req, started);
    await this.deps.record(base);
    const fail = async (err: unknown): Promise<never> => {
      const failed: BackupRecordV1 = {
        ...base,
        status: 'failed',
        error: messageOf(err),
        durationMs: this.now().getTime() - started.getTime(),
      };
      await this.deps.record(failed);
      throw new BackupJobError(codeOf(err), `backup ${req.id} failed: ${messageOf(err)}`, failed, { cause: err });
    };
    let plan;
    try {
      plan = planBackup(req.type, this.deps.targets, { includeLogs: req.includeLogs });
    } catch (err) {
      return fail(err);
    }
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const lost = (l: LeaseLost) =>
      abort.abort(
        new Error(`lost the backup repository lock (${l.message}); stopped so a prune cannot race this backup`),
      );
    try {
      onProgress({ step: 'locking', percent: 0, message: plan.summary });
      const lease = await this.deps.lock.shared(req.operationId, `backup ${req.id}`, lost);
      try {
        const engine = await this.deps.engine({ compress: req.compress !== false });
        const labels: Record<string, string> = {
          type: req.type,
          trigger: req.trigger,
          component: req.component,
          version: req.componentVersion ?? '',
          node: req.nodeId ?? '',
          rollout: req.rolloutId ?? '',
          description: req.description ?? '',
        };
        const result = await engine.backup(
          { id: req.id, sources: plan.sources, streams: plan.streams, labels },
          {
            signal: abort.signal,
            // asked synchronously: a process paused past its lease hears of the loss only later
            stillHeld: () => lease.isHeld(),
            onProgress: (p) => onProgress({ step: p.step, percent: Math.min(99, p.percent), message: p.message }),
          },
        );
        const completed = completedRecord(
          base,
          result.manifest,
          { ...result.stats, durationMs: this.now().getTime() - started.getTime() },
          this.now(),
        );
        await this.deps.record(completed);
        onProgress({ step: 'completed', percent: 100 });
        return completed;
      } finally {
        await lease.release().catch(() => undefined);
      }
    } catch (err) {
      return fail(abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason : err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The catalogue entry of a backup that is starting. */
  creatingRecord(req: Omit<CreateBackupRequest, 'operationId'>, at: Date = this.now()): BackupRecordV1 {
    return newBackupRecord({ ...req, encrypted: this.deps.encrypted, createdAt: at.toISOString() });
  }

  /**
   * Settles a backup whose process died while taking it: completed when its manifest made it
   * to the bucket (the commit point), else recorded failed. Returns the recorded entry.
   */
  async settleInterrupted(base: BackupRecordV1): Promise<BackupRecordV1> {
    try {
      return await this.recordFromManifest(base.id, base);
    } catch (err) {
      if (!(err instanceof BackupEngineError && err.code === BackupErrorCode.NotFound)) throw err;
    }
    const failed: BackupRecordV1 = {
      ...base,
      status: 'failed',
      error:
        'the process taking this backup stopped (killed or restarted) before its manifest was written, so nothing was committed. Run the backup again.',
    };
    await this.deps.record(failed);
    return failed;
  }

  /** The entry of a committed backup as its manifest describes it (nothing recorded). */
  private async recordOf(id: string): Promise<BackupRecordV1> {
    const engine = await this.deps.engine({ compress: true });
    const m = await engine.manifest(id);
    const l = m.labels;
    const base = this.creatingRecord(
      {
        id,
        type: (l.type as BackupType) ?? 'full',
        trigger: (l.trigger as BackupTrigger) ?? 'manual',
        component: l.component ?? 'unknown',
        componentVersion: l.version || null,
        nodeId: l.node || null,
        rolloutId: l.rollout || null,
        description: l.description ?? '',
      },
      new Date(m.createdAt),
    );
    return completedRecord(base, m, m.stats, this.now());
  }

  /**
   * Records a backup completed from its manifest (the commit point), e.g. when the process
   * that took it died between uploading the manifest and recording it. Throws the engine's
   * NotFound error when there is no manifest.
   */
  async recordFromManifest(id: string, current?: BackupRecordV1): Promise<BackupRecordV1> {
    const fromManifest = await this.recordOf(id);
    const completed = current ? { ...fromManifest, ...pickIdentity(current) } : fromManifest;
    await this.deps.record(completed);
    return completed;
  }

  /** Re-reads every pack of a backup; records it verified or corrupted (naming the packs). */
  async verify(
    backup: BackupRecordV1,
    operationId: string,
    onProgress: (p: JobProgress) => void = () => undefined,
  ): Promise<{ backup: BackupRecordV1; report: VerifyReport }> {
    const lease = await this.deps.lock.shared(operationId, `verify ${backup.id}`);
    try {
      const engine = await this.deps.engine({ compress: true });
      const report = await engine.verify(backup.id, {
        onProgress: (p) => onProgress({ step: p.step, percent: Math.min(99, p.percent), message: p.message }),
      });
      const updated: BackupRecordV1 = report.ok
        ? { ...backup, status: 'verified', error: null, corruptedPacks: [], verifiedAt: this.now().toISOString() }
        : corruptedRecord(
            backup,
            `verify found ${report.problems.length} problem(s): ${report.problems.slice(0, 5).join('; ')}`,
            report.corruptedPacks,
            this.now(),
          );
      await this.deps.record(updated);
      onProgress({ step: 'verified', percent: 100 });
      return { backup: updated, report };
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  /**
   * Restores a backup: verify first (inside the engine), files into a temporary sibling and
   * swapped into place, databases with pg_restore. A corrupted backup is recorded as such
   * and nothing is touched.
   */
  async restore(
    backupOrId: BackupRecordV1 | string,
    req: RestoreRequest,
    onProgress: (p: JobProgress) => void = () => undefined,
  ): Promise<RestoreOutcome> {
    const backup = typeof backupOrId === 'string' ? await this.recordOf(backupOrId) : backupOrId;
    if (req.expectOwner) refuseForeign(backup, req.expectOwner);
    if (backup.status === 'corrupted')
      throw new BackupJobError(
        BackupJobErrorCode.Corrupted,
        `backup ${backup.id} is recorded corrupted (packs: ${backup.corruptedPacks.join(', ') || 'unknown'}); restore another backup`,
        backup,
      );
    const lease = await this.deps.lock.shared(req.operationId, `restore ${backup.id}`);
    try {
      const engine = await this.deps.engine({ compress: true });
      const manifest = await this.manifestToRestore(engine, backup);
      const job = new RestoreJob(engine, backup, manifest, req, onProgress, {
        targets: this.deps.targets,
        controlPlane: this.deps.controlPlane,
        record: (b) => this.deps.record(b),
        now: () => this.now(),
      });
      return await job.run();
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  /**
   * Refuses (BACKUP_FOREIGN) a backup that is not `own` node's and component's, reading who
   * it belongs to from its manifest; changes nothing. A node agent calls it before it stops
   * its app to restore.
   */
  async checkOwner(backupId: string, own: { nodeId: string; component: string }): Promise<void> {
    refuseForeign(await this.recordOf(backupId), own);
  }

  /** The manifest of a backup to restore; a manifest that fails its check records the backup corrupted. */
  private async manifestToRestore(engine: BackupEngine, backup: BackupRecordV1): Promise<BackupManifest> {
    return engine.manifest(backup.id).catch(async (err: unknown) => {
      if (!(err instanceof BackupEngineError) || err.code !== BackupErrorCode.Corrupted) throw err;
      const corrupted = corruptedRecord(backup, err.message, [], this.now());
      await this.deps.record(corrupted);
      throw new BackupJobError(BackupJobErrorCode.Corrupted, `refusing to restore: ${err.message}`, corrupted, {
        cause: err,
      });
    });
  }

  /**
   * Applies the retention policy to the catalogue's restorable backups (per component, node
   * and backup type), deletes the manifests of those it drops and every pack no kept manifest needs,
   * under the repository's exclusive lock (never while a backup or restore runs), and
   * records the dropped entries as pruned.
   */
  async prune(
    catalogue: BackupRecordV1[],
    policy: RetentionPolicy,
    operationId: string,
    dryRun: boolean,
    onProgress: (p: JobProgress) => void = () => undefined,
  ): Promise<PruneOutcome> {
    const candidates = catalogue.filter(
      (b) => b.status === 'completed' || b.status === 'verified' || b.status === 'corrupted',
    );
    const plan = selectRetention(
      // per type too: a run of config-only backups must not push out the last full one, which holds the database
      candidates.map((b) => ({
        id: b.id,
        createdAt: new Date(b.createdAt),
        group: `${b.component}/${b.nodeId ?? '-'}/${b.type}`,
      })),
      policy,
      this.now(),
    );
    onProgress({
      step: 'locking',
      percent: 0,
      message: `${plan.remove.length} backup(s) to remove, ${plan.keep.length} kept`,
    });
    const lost = new AbortController();
    const lease = await this.deps.lock.exclusive(`prune ${operationId}`, (l: LeaseLost) =>
      lost.abort(new Error(`lost the backup repository's exclusive lock (${l.message}), so a backup may have started`)),
    );
    try {
      const engine = await this.deps.engine({ compress: true });
      const byId = new Map(candidates.map((b) => [b.id, b]));
      const markPruned = async (ids: string[]) => {
        for (const id of ids) {
          const b = byId.get(id);
          if (b) await this.deps.record({ ...b, status: 'pruned', error: null });
        }
      };
      let result;
      try {
        result = await engine.prune({
          remove: plan.remove.map((r) => r.id),
          dryRun,
          signal: lost.signal,
          onProgress: (p) => onProgress({ step: p.step, percent: Math.min(99, p.percent), message: p.message }),
        });
      } catch (err) {
        // stopped part-way (lock lost, S3 down): the backups whose manifests are already gone are pruned all the same
        if (!dryRun) {
          const left = await engine.list().then(
            (ids) => new Set(ids),
            () => undefined,
          );
          if (left) await markPruned(plan.remove.map((r) => r.id).filter((id) => !left.has(id)));
        }
        throw err;
      }
      if (!dryRun) await markPruned(plan.remove.map((r) => r.id));
      onProgress({ step: dryRun ? 'planned' : 'pruned', percent: 100 });
      return {
        dryRun,
        removedBackups: plan.remove.map((r) => r.id),
        removedPacks: result.removedPacks,
        keptPacks: result.keptPacks,
        freedBytes: result.freedBytes,
        plan,
      };
    } finally {
      await lease.release().catch(() => undefined);
    }
  }
}

/**
 * Refuses (BACKUP_FOREIGN) a backup recorded for another node or component than the one this
 * agent serves: its files belong elsewhere and would overwrite this node's own.
 */
export function refuseForeign(backup: BackupRecordV1, own: { nodeId: string; component: string }): void {
  if (backup.nodeId === own.nodeId && backup.component === own.component) return;
  const taken = `on ${backup.nodeId === null ? 'the control plane (no node)' : `node ${backup.nodeId}`} for component ${backup.component}`;
  throw new BackupJobError(
    BackupJobErrorCode.Foreign,
    `refusing to restore backup ${backup.id}: it was taken ${taken}, and this agent serves node ${own.nodeId}, component ${own.component}. Nothing was changed. Restore one of this node's own backups (lockstep backup list --node ${own.nodeId}), or restore this one elsewhere with --to.`,
    backup,
  );
}
