import { join } from 'node:path';
import {
  BackupCorruptedError,
  checkRestoreTarget,
  DatabaseRestoreMethod,
  type BackupEngine,
  type BackupManifest,
  type DatabaseEntry,
  type DatabaseRestoreResult,
} from '@lockstep/backup-engine';
import type { BackupRecordV1, RestorePart } from '@lockstep/contracts';
import { corruptedRecord } from './backup-records';
import type { BackupTargets } from './backup-targets';
import { sameDatabaseServer } from './database-identity';
import { BackupJobError, BackupJobErrorCode } from './errors';

/** What to restore, and where. */
export interface RestoreRequest {
  what: RestorePart;
  /**
   * Restore files under this directory instead of their original places. It (and the part
   * folder made under it) must not exist or be empty: a restore `--to` never replaces or
   * deletes anything, and refuses with BACKUP_RESTORE_TARGET_NOT_EMPTY otherwise.
   */
  to?: string;
  /** Keep setuid/setgid bits of restored files (default: cleared). */
  keepSpecialBits?: boolean;
  /**
   * The node and component this host serves (a node agent): a backup recorded for another
   * node or component is refused with BACKUP_FOREIGN before anything is read or changed.
   */
  expectOwner?: { nodeId: string; component: string };
  /** `new` restores each database into `<name>_restored_<time>`; `replace` into the original, in one transaction. */
  databaseMode: 'new' | 'replace';
  operationId: string;
}

/** What a restore did, part by part. */
export interface RestoreOutcome {
  restored: { part: string; target: string; files: number }[];
  databases: { database: string; target: string; mode: string }[];
}

/** One progress report of a restore. */
type RestoreProgress = (p: { step: string; percent: number; message?: string }) => void;

/** What a restore needs besides the backup: the host's targets, the catalogue and the clock. */
export interface RestoreJobDeps {
  targets: BackupTargets;
  /** Records a catalogue change (here: the backup found corrupted). */
  record(backup: BackupRecordV1): Promise<void>;
  now(): Date;
  /** Lockstep's own database: see ControlPlaneDatabase. */
  controlPlane?: ControlPlaneDatabase;
}

/** What a restore of Lockstep's own database did (handed to ControlPlaneDatabase.restored). */
export interface ControlPlaneRestored {
  backupId: string;
  /** The database the backup holds. */
  database: string;
  /** The database restored into: the live one (`replace`) or a new copy (`new`). */
  target: string;
  mode: 'replace' | 'new';
  /** Tables of `keepTables` the dump held and the restore left as they were. */
  leftOut: readonly string[];
}

/**
 * Lockstep's own database and what restoring it must also do: `finalSql(backupId)` runs in
 * the same transaction as the restore of that database (e.g. restoredControlPlaneSql, so the
 * restored control plane never resumes the past); an in-place restore leaves `keepTables` as
 * they are; `restored` is called once the restore committed.
 */
export interface ControlPlaneDatabase {
  /** DATABASE_URL of the control plane; a restored database is it when the server and database are the same (sameDatabaseServer). */
  databaseUrl: string;
  finalSql(backupId: string): string;
  /**
   * Schema-qualified tables a restore in place leaves as they are now (the tokens and the audit
   * trail: a restore must neither un-revoke a token nor rewind the trail). A copy (`new`) is
   * restored whole.
   */
  keepTables?: readonly string[];
  /**
   * Called right after the restore of this database committed (e.g. to append an audit record
   * on top of the live chain); a failure fails the restore with a message that the database
   * was restored all the same.
   */
  restored?(what: ControlPlaneRestored): Promise<void>;
}

/**
 * One restore of a backup whose manifest has been read: files are staged and swapped into
 * place, databases restored with pg_restore (after the files are staged and before the swap,
 * when both are restored), and damage found on the way recorded as corrupted. Progress never
 * goes back, although the files' own reports come after the databases restored before their swap.
 */
export class RestoreJob {
  private readonly outcome: RestoreOutcome = { restored: [], databases: [] };
  private shown = 0;
  /** Files to restore: all (`undefined`), one part, or none (`null`). */
  private readonly fileParts: string | undefined | null;
  private readonly hasDatabases: boolean;
  private readonly wantsDatabases: boolean;

  constructor(
    private readonly engine: BackupEngine,
    private readonly backup: BackupRecordV1,
    private readonly manifest: BackupManifest,
    private readonly req: RestoreRequest,
    private readonly onProgress: RestoreProgress,
    private readonly deps: RestoreJobDeps,
  ) {
    this.fileParts = req.what === 'all' ? undefined : req.what === 'database' ? null : req.what;
    this.hasDatabases = manifest.entries.some((e) => e.type === 'database');
    this.wantsDatabases = (req.what === 'all' || req.what === 'database') && this.hasDatabases;
  }

  /** Restores the requested parts; a backup found damaged is recorded corrupted before the error is thrown. */
  async run(): Promise<RestoreOutcome> {
    try {
      await this.restoreParts();
    } catch (err) {
      await this.recordDamage(err);
      throw err;
    }
    this.report('restored', 100);
    return this.outcome;
  }

  /** Restores the selected files (and the databases before their swap), or the databases alone; refuses a part the backup lacks. */
  private async restoreParts(): Promise<void> {
    const { req, backup } = this;
    if (this.fileParts !== null && hasRoots(this.manifest, this.fileParts)) await this.restoreFiles(this.fileParts);
    else if (req.what === 'config' || req.what === 'data') {
      throw new BackupJobError(
        BackupJobErrorCode.PartMissing,
        `backup ${backup.id} (${backup.type}) holds no ${req.what} files; choose --what ${this.hasDatabases ? 'database' : 'all'}`,
      );
    } else if (this.wantsDatabases) await this.restoreDatabases();
    if (req.what === 'database' && !this.hasDatabases) {
      throw new BackupJobError(
        BackupJobErrorCode.PartMissing,
        `backup ${backup.id} (${backup.type}) holds no database dump; choose --what all, config or data`,
      );
    }
  }

  /** Restores the files (all, or one part) into `--to` or their own directories, and the databases before the swap. */
  private async restoreFiles(part: string | undefined): Promise<void> {
    const { engine, backup, req } = this;
    const scale = this.wantsDatabases ? 0.6 : 0.99;
    const onProgress: RestoreProgress = (p) => this.report(p.step, Math.floor(p.percent * scale), p.message);
    // databases are restored once the files are staged and before they are swapped in: a database that fails leaves the files as they were
    const beforeSwap = this.wantsDatabases ? () => this.restoreDatabases() : undefined;
    const keepSpecialBits = req.keepSpecialBits === true;
    if (req.to) {
      const target = part ? join(req.to, part) : req.to;
      if (part) await checkRestoreTarget(req.to); // DIR itself too, not only the part folder made in it
      const result = await this.thenFiles(() =>
        engine.restore(backup.id, target, { select: part, onProgress, beforeSwap, keepSpecialBits, exclusive: true }),
      );
      this.outcome.restored.push({ part: part ?? 'all', target: result.target, files: result.files });
    } else {
      const { config, data, logs } = this.deps.targets;
      const results = await this.thenFiles(() =>
        engine.restoreRoots(backup.id, {
          select: part,
          onProgress,
          beforeSwap,
          keepSpecialBits,
          allowedDirs: [...config, ...data, ...logs],
        }),
      );
      for (const r of results.roots) this.outcome.restored.push({ part: r.prefix, target: r.target, files: r.files });
    }
  }

  /** Puts the files in place; a failure after some database was restored becomes a partial restore. */
  private async thenFiles<T>(restoreFiles: () => Promise<T>): Promise<T> {
    try {
      return await restoreFiles();
    } catch (err) {
      if (this.outcome.databases.length === 0 || (err as BackupJobError).code === BackupJobErrorCode.RestorePartial)
        throw err;
      throw this.partial(`putting the files in place failed (${(err as Error).message})`, err);
    }
  }

  /** Restores every database of the backup, one slice each of what the files left of 0..99. */
  private async restoreDatabases(): Promise<void> {
    const databases = this.manifest.entries.filter((e): e is DatabaseEntry => e.type === 'database');
    const from = this.fileParts !== null ? 60 : 0;
    const slice = (99 - from) / databases.length;
    for (const [i, entry] of databases.entries()) await this.restoreDatabase(entry, from + i * slice, slice);
  }

  /** Restores one database (verify, then the dump handed to pg_restore) over `start`..`start + slice` percent. */
  private async restoreDatabase(entry: DatabaseEntry, start: number, slice: number): Promise<void> {
    this.report('restoring_database', Math.floor(start), entry.database);
    const url = this.databaseUrl(entry.database, this.req.databaseMode);
    const controlPlane = this.deps.controlPlane;
    // the server's identity decides, not how the URLs spell the host (localhost and 127.0.0.1 are one database)
    const ownDatabase =
      controlPlane !== undefined &&
      (await sameDatabaseServer(this.originalUrl(entry.database), controlPlane.databaseUrl));
    const onProgress = (p: { step: string; percent: number }) =>
      this.report(
        p.step === 'done' ? 'restoring_database' : `database_${p.step}`,
        Math.floor(start + (slice * p.percent) / 100),
        entry.database,
      );
    let result: DatabaseRestoreResult;
    try {
      result = await this.engine.restoreDatabase(
        this.backup.id,
        {
          database: entry.database,
          mode:
            this.req.databaseMode === 'new'
              ? DatabaseRestoreMethod.NewDatabase
              : DatabaseRestoreMethod.SingleTransaction,
          targetUrl: url,
          // a restored control plane (in place or as a copy) never resumes the past: fixed up in the restore's transaction
          ...(ownDatabase && { finalSql: controlPlane.finalSql(this.backup.id) }),
          // in place, the live tokens and audit trail stay as they are (a copy has none of its own: it is restored whole)
          ...(ownDatabase && this.req.databaseMode === 'replace' && { keepTables: controlPlane.keepTables }),
        },
        undefined,
        { onProgress },
      );
    } catch (err) {
      if (this.outcome.databases.length === 0) throw err;
      throw this.partial(
        `restoring database ${entry.database} failed (${(err as Error).message}); no files were replaced`,
        err,
      );
    }
    this.outcome.databases.push({ database: entry.database, target: result.target, mode: result.mode });
    if (ownDatabase) await this.announceRestored(controlPlane, entry.database, result.target, result.leftOut);
  }

  /** Tells the control plane its own database was restored (after COMMIT); a failure says the restore itself happened. */
  private async announceRestored(
    controlPlane: ControlPlaneDatabase,
    database: string,
    target: string,
    leftOut: readonly string[],
  ): Promise<void> {
    if (!controlPlane.restored) return;
    const what: ControlPlaneRestored = {
      backupId: this.backup.id,
      database,
      target,
      mode: this.req.databaseMode,
      leftOut,
    };
    try {
      await controlPlane.restored(what);
    } catch (err) {
      throw new BackupJobError(
        BackupJobErrorCode.RestorePartial,
        `database ${database} was restored into ${target} from backup ${this.backup.id}, but recording the restore failed (${(err as Error).message}); the restore is not in the audit trail. Fix the cause; do not restore again only to record it.`,
        undefined,
        { cause: err },
      );
    }
  }

  /** A failure once some database was restored: nothing can undo that, so say what was and was not. */
  private partial(what: string, cause: unknown): BackupJobError {
    return new BackupJobError(
      BackupJobErrorCode.RestorePartial,
      `${what}, but database(s) ${this.outcome.databases.map((d) => d.database).join(', ')} had been restored already. Fix the cause and restore again (--what database restores the databases alone).`,
      undefined,
      { cause },
    );
  }

  /**
   * Records the backup corrupted when `err` is (or was caused by) damage found in it; throws
   * a BackupJobError instead of `err` when `err` is the damage itself.
   */
  private async recordDamage(err: unknown): Promise<void> {
    const damage =
      err instanceof BackupCorruptedError
        ? err
        : (err as Error).cause instanceof BackupCorruptedError
          ? ((err as Error).cause as BackupCorruptedError)
          : undefined;
    if (!damage) return;
    const corrupted = corruptedRecord(this.backup, damage.message, damage.corruptedPacks, this.deps.now());
    await this.deps.record(corrupted);
    if (err === damage)
      throw new BackupJobError(BackupJobErrorCode.Corrupted, `refusing to restore: ${damage.message}`, corrupted, {
        cause: err,
      });
  }

  /** The connection URL a database entry restores into: the configured one, or a new database next to it. */
  private databaseUrl(database: string, mode: 'new' | 'replace'): string {
    const original = this.originalUrl(database);
    if (mode === 'replace') return original;
    const url = new URL(original);
    const stamp = this.deps.now().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    url.pathname = `/${database}_restored_${stamp}`;
    return url.toString();
  }

  /** The configured URL of a database the backup holds (BACKUP_DATABASE_URLS); refuses one this host does not list. */
  private originalUrl(database: string): string {
    const original = this.deps.targets.databases.find(
      (u) => decodeURIComponent(new URL(u).pathname.slice(1)) === database,
    );
    if (!original) {
      throw new BackupJobError(
        BackupJobErrorCode.DatabaseUnknown,
        `the backup holds database ${JSON.stringify(database)}, which BACKUP_DATABASE_URLS does not list here; add its URL to restore it`,
      );
    }
    return original;
  }

  private report(step: string, percent: number, message?: string): void {
    this.onProgress({ step, percent: (this.shown = Math.max(this.shown, percent)), message });
  }
}

/** Whether a manifest has files under the selected part (`undefined`: any). */
function hasRoots(manifest: BackupManifest, part: string | undefined): boolean {
  return manifest.entries.some(
    (e) => e.type !== 'database' && (part === undefined || e.path === part || e.path.startsWith(`${part}/`)),
  );
}
