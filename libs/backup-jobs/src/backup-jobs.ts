import { join } from 'node:path';
import {
  BackupCorruptedError,
  BackupEngineError,
  BackupErrorCode,
  DatabaseRestoreMode,
  selectRetention,
  type RetentionPlan,
  type RetentionPolicy,
  type BackupEngine,
  type BackupManifest,
  type DatabaseEntry,
  type VerifyReport,
} from '@lockstep/backup-engine';
import type { BackupRecordV1, BackupTrigger, BackupType, RestorePart } from '@lockstep/contracts';
import type { LeaseLost } from '@lockstep/fleet-lock';
import { completedRecord, corruptedRecord, newBackupRecord, pickIdentity } from './backup-records';
import { planBackup, type BackupTargets } from './backup-targets';
import { BackupJobError, BackupJobErrorCode, type BackupJobFailureCode } from './errors';
import type { BackupRepositoryLock } from './repository-lock';

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

/** What to restore, and where. */
export interface RestoreRequest {
  what: RestorePart;
  /** Restore files under this directory instead of their original places. */
  to?: string;
  /** `new` restores each database into `<name>_restored_<time>`; `replace` into the original, in one transaction. */
  databaseMode: 'new' | 'replace';
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

/** What a restore did, part by part. */
export interface RestoreOutcome {
  restored: { part: string; target: string; files: number }[];
  databases: { database: string; target: string; mode: string }[];
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
    if (backup.status === 'corrupted')
      throw new BackupJobError(
        BackupJobErrorCode.Corrupted,
        `backup ${backup.id} is recorded corrupted (packs: ${backup.corruptedPacks.join(', ') || 'unknown'}); restore another backup`,
        backup,
      );
    const lease = await this.deps.lock.shared(req.operationId, `restore ${backup.id}`);
    try {
      const engine = await this.deps.engine({ compress: true });
      const manifest = await engine.manifest(backup.id).catch(async (err: unknown) => {
        if (!(err instanceof BackupEngineError) || err.code !== BackupErrorCode.Corrupted) throw err;
        const corrupted = corruptedRecord(backup, err.message, [], this.now());
        await this.deps.record(corrupted);
        throw new BackupJobError(BackupJobErrorCode.Corrupted, `refusing to restore: ${err.message}`, corrupted, {
          cause: err,
        });
      });
      const outcome: RestoreOutcome = { restored: [], databases: [] };
      const fileParts = req.what === 'all' ? undefined : req.what === 'database' ? null : req.what;
      const hasDatabases = manifest.entries.some((e) => e.type === 'database');
      const wantsDatabases = (req.what === 'all' || req.what === 'database') && hasDatabases;
      let shown = 0; // the files' own `done` comes after the databases restored before their swap: never go back
      const report = (step: string, percent: number, message?: string) =>
        onProgress({ step, percent: (shown = Math.max(shown, percent)), message });
      const databases = manifest.entries.filter((e): e is DatabaseEntry => e.type === 'database');
      const restoreDatabases = async (): Promise<void> => {
        // the databases share what the files left of 0..99, one slice each: verify, then the dump handed to pg_restore
        const from = fileParts !== null ? 60 : 0;
        const slice = (99 - from) / databases.length;
        for (const [i, entry] of databases.entries()) {
          const start = from + i * slice;
          report('restoring_database', Math.floor(start), entry.database);
          const url = this.databaseUrl(entry.database, req.databaseMode);
          const onProgress = (p: { step: string; percent: number }) =>
            report(
              p.step === 'done' ? 'restoring_database' : `database_${p.step}`,
              Math.floor(start + (slice * p.percent) / 100),
              entry.database,
            );
          try {
            const result = await engine.restoreDatabase(
              backup.id,
              {
                database: entry.database,
                mode:
                  req.databaseMode === 'new' ? DatabaseRestoreMode.NewDatabase : DatabaseRestoreMode.SingleTransaction,
                targetUrl: url,
              },
              undefined,
              { onProgress },
            );
            outcome.databases.push({ database: entry.database, target: result.target, mode: result.mode });
          } catch (err) {
            if (outcome.databases.length === 0) throw err;
            throw partial(
              `restoring database ${entry.database} failed (${(err as Error).message}); no files were replaced`,
              err,
            );
          }
        }
      };
      /** A failure once some database was restored: nothing can undo that, so say what was and was not. */
      const partial = (what: string, cause: unknown): BackupJobError =>
        new BackupJobError(
          BackupJobErrorCode.RestorePartial,
          `${what}, but database(s) ${outcome.databases.map((d) => d.database).join(', ')} had been restored already. Fix the cause and restore again (--what database restores the databases alone).`,
          undefined,
          { cause },
        );
      const thenFiles = async <T>(restoreFiles: () => Promise<T>): Promise<T> => {
        try {
          return await restoreFiles();
        } catch (err) {
          if (outcome.databases.length === 0 || (err as BackupJobError).code === BackupJobErrorCode.RestorePartial)
            throw err;
          throw partial(`putting the files in place failed (${(err as Error).message})`, err);
        }
      };
      try {
        if (fileParts !== null && hasRoots(manifest, fileParts)) {
          const scale = wantsDatabases ? 0.6 : 0.99;
          const progress = (p: { step: string; percent: number; message?: string }) =>
            report(p.step, Math.floor(p.percent * scale), p.message);
          // databases are restored once the files are staged and before they are swapped in: a database that fails leaves the files as they were
          const beforeSwap = wantsDatabases ? restoreDatabases : undefined;
          if (req.to) {
            const result = await thenFiles(() =>
              engine.restore(backup.id, fileParts ? join(req.to!, fileParts) : req.to!, {
                select: fileParts,
                onProgress: progress,
                beforeSwap,
              }),
            );
            outcome.restored.push({ part: fileParts ?? 'all', target: result.target, files: result.files });
          } else {
            const { config, data, logs } = this.deps.targets;
            const results = await thenFiles(() =>
              engine.restoreRoots(backup.id, {
                select: fileParts,
                onProgress: progress,
                beforeSwap,
                allowedDirs: [...config, ...data, ...logs],
              }),
            );
            for (const r of results.roots) outcome.restored.push({ part: r.prefix, target: r.target, files: r.files });
          }
        } else if (req.what === 'config' || req.what === 'data') {
          throw new BackupJobError(
            BackupJobErrorCode.PartMissing,
            `backup ${backup.id} (${backup.type}) holds no ${req.what} files; choose --what ${hasDatabases ? 'database' : 'all'}`,
          );
        } else if (wantsDatabases) await restoreDatabases();
        if (req.what === 'database' && !hasDatabases) {
          throw new BackupJobError(
            BackupJobErrorCode.PartMissing,
            `backup ${backup.id} (${backup.type}) holds no database dump; choose --what all, config or data`,
          );
        }
      } catch (err) {
        const damage =
          err instanceof BackupCorruptedError
            ? err
            : (err as Error).cause instanceof BackupCorruptedError
              ? ((err as Error).cause as BackupCorruptedError)
              : undefined;
        if (damage) {
          const corrupted = corruptedRecord(backup, damage.message, damage.corruptedPacks, this.now());
          await this.deps.record(corrupted);
          if (err === damage)
            throw new BackupJobError(
              BackupJobErrorCode.Corrupted,
              `refusing to restore: ${damage.message}`,
              corrupted,
              { cause: err },
            );
        }
        throw err;
      }
      report('restored', 100);
      return outcome;
    } finally {
      await lease.release().catch(() => undefined);
    }
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

  /** The connection URL a database entry restores into: the configured one, or a new database next to it. */
  private databaseUrl(database: string, mode: 'new' | 'replace'): string {
    const original = this.deps.targets.databases.find(
      (u) => decodeURIComponent(new URL(u).pathname.slice(1)) === database,
    );
    if (!original) {
      throw new BackupJobError(
        BackupJobErrorCode.DatabaseUnknown,
        `the backup holds database ${JSON.stringify(database)}, which BACKUP_DATABASE_URLS does not list here; add its URL to restore it`,
      );
    }
    if (mode === 'replace') return original;
    const url = new URL(original);
    const stamp = this.now().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    url.pathname = `/${database}_restored_${stamp}`;
    return url.toString();
  }
}

/** Whether a manifest has files under the selected part (`undefined`: any). */
function hasRoots(manifest: BackupManifest, part: string | undefined): boolean {
  return manifest.entries.some(
    (e) => e.type !== 'database' && (part === undefined || e.path === part || e.path.startsWith(`${part}/`)),
  );
}
