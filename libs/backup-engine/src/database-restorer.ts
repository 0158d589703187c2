import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupVerifier, type VerifyReport, type VerifySource } from './backup-verifier';
import { BackupCorruptedError, BackupEngineError, BackupErrorCode } from './errors';
import { contentBytes, type BackupManifest, type DatabaseEntry } from './manifest';
import { PackReader } from './pack-reader';
import { ProgressReporter, ProgressStep, type ProgressOptions, type ProgressPhase } from './progress';
import { databaseNameOf } from './postgres-dump';
import { ChildProcessRunner, runToEnd, type ProcessRunner } from './process-runner';
import { libpqConnection } from './libpq-connection';
import { leaveTablesOut } from './restore-list';
import type { Compressor } from './zstd.process';

/** How the engine restores a database entry (the wire's DatabaseRestoreMode `new` / `replace` maps onto it). */
export const DatabaseRestoreMethod = {
  /** Create the database named in `targetUrl` (it must not exist) and restore into it. */
  NewDatabase: 'new-database',
  /** Replace the contents of the existing database in one transaction (`--clean --if-exists`). */
  SingleTransaction: 'single-transaction',
} as const;
export type DatabaseRestoreMethod = (typeof DatabaseRestoreMethod)[keyof typeof DatabaseRestoreMethod];

/** What to restore, and where. */
export interface DatabaseRestoreRequest {
  /** Database name of the entry to restore; may be omitted when the backup holds only one. */
  database?: string;
  mode: DatabaseRestoreMethod;
  /** Connection URL of the target database (for `new-database`, the one to create). */
  targetUrl: string;
  /** Database to connect to while creating a new one (default `postgres`). */
  maintenanceDatabase?: string;
  /**
   * SQL run after the dump, in the same transaction as the whole restore (e.g. so a restored
   * control-plane database does not resume the past): the restore commits with it or not at
   * all. The dump leaves `search_path` empty, so qualify every name (`public.outbox`). When
   * set, pg_restore writes a script that psql runs inside BEGIN … COMMIT.
   */
  finalSql?: string;
  /**
   * Schema-qualified tables (`public.audit_log`) to leave in the target as they are, with
   * everything that hangs on them (see leaveTablesOut): the dump's listing is filtered into a
   * `--use-list` file, so `--clean` neither drops nor recreates them. For a restore in place
   * over live tables that must not go back in time (Lockstep's tokens and audit trail).
   * Every one must be in the dump: a dump without one predates it, and restoring its schema
   * around the live table would leave the two disagreeing (e.g. a migration history that does
   * not know the table), so that restore is refused (BACKUP_RESTORE_KEPT_TABLE_MISSING) before
   * anything is changed.
   */
  keepTables?: readonly string[];
}

/** What a database restore did. */
export interface DatabaseRestoreResult {
  backupId: string;
  /** Database name recorded in the backup. */
  database: string;
  /** Database restored into. */
  target: string;
  mode: DatabaseRestoreMethod;
  /** Tables of `keepTables` that the dump held and the restore left out. */
  leftOut: string[];
  bytesRestored: number;
  verify: VerifyReport;
}

/** Programs the restorer runs; override for non-standard installs. */
export interface PgBinaries {
  pgRestore: string;
  createdb: string;
  dropdb: string;
  psql: string;
}

const DEFAULT_BINARIES: PgBinaries = { pgRestore: 'pg_restore', createdb: 'createdb', dropdb: 'dropdb', psql: 'psql' };

/**
 * Restores a `database` entry with pg_restore, fed from the chunk stream on stdin (never
 * staged on disk). The whole backup is verified first; a corrupted one is refused before
 * any database is touched.
 */
export class DatabaseRestorer {
  constructor(
    private readonly repository: VerifySource,
    private readonly compressor: Compressor,
    private readonly runner: ProcessRunner = new ChildProcessRunner(),
    private readonly binaries: PgBinaries = DEFAULT_BINARIES,
  ) {}

  /**
   * Verifies `manifest`, then restores one of its database entries as `request` says.
   * Progress: `verify` (the whole backup re-read, first half), then `restore` (dump bytes
   * handed to pg_restore), then `done`.
   */
  async restore(
    manifest: BackupManifest,
    request: DatabaseRestoreRequest,
    options: ProgressOptions & { progressIntervalMs?: number } = {},
  ): Promise<DatabaseRestoreResult> {
    const entry = pickEntry(manifest, request.database);
    const progress = new ProgressReporter(options.onProgress, options.progressIntervalMs);
    const verify = await new BackupVerifier(this.repository, this.compressor).verify(manifest, {
      progress: progress.phase(ProgressStep.Verify, 0, 50, contentBytes(manifest)),
    });
    if (!verify.ok) throw new BackupCorruptedError(manifest.id, verify.corruptedPacks, verify.problems);
    const target = databaseNameOf(request.targetUrl);
    const restoring = progress.phase(ProgressStep.Restore, 50, 100, entry.size);
    const selection = request.keepTables?.length
      ? await this.listWithout(manifest, entry, request.keepTables)
      : { args: [], leftOut: [], dispose: () => Promise.resolve() };
    const base = { backupId: manifest.id, database: entry.database, target, mode: request.mode, verify };
    const finish = (): DatabaseRestoreResult => {
      progress.done(entry.size, target);
      return { ...base, leftOut: selection.leftOut, bytesRestored: entry.size };
    };
    try {
      await this.restoreSelected(manifest, entry, request, target, selection.args, restoring);
    } finally {
      await selection.dispose();
    }
    return finish();
  }

  /** Runs the restore itself, in one transaction or into a new database, with `--use-list` when given. */
  private async restoreSelected(
    manifest: BackupManifest,
    entry: DatabaseEntry,
    request: DatabaseRestoreRequest,
    target: string,
    useList: string[],
    restoring: ProgressPhase,
  ): Promise<void> {
    if (request.mode === DatabaseRestoreMethod.SingleTransaction) {
      await this.pgRestore(
        manifest,
        entry,
        request.targetUrl,
        ['--single-transaction', '--clean', '--if-exists', ...useList],
        request.finalSql,
        `Nothing was changed: the transaction was rolled back and ${JSON.stringify(target)} keeps its previous contents. Fix the cause above, or restore into a new database instead.`,
        restoring,
      );
      return;
    }

    const maintenanceUrl = new URL(request.targetUrl);
    maintenanceUrl.pathname = `/${encodeURIComponent(request.maintenanceDatabase ?? 'postgres')}`;
    const conn = libpqConnection(maintenanceUrl.toString());
    const maintenance = `--maintenance-db=${conn.url}`;
    await runToEnd(this.runner, this.binaries.createdb, [maintenance, target], {
      env: conn.env,
      hint: `Could not create database ${JSON.stringify(target)} to restore into: choose a name that does not exist yet, and a user allowed to create databases.`,
    });
    try {
      await this.pgRestore(
        manifest,
        entry,
        request.targetUrl,
        ['--exit-on-error', ...useList],
        request.finalSql,
        `The new database ${JSON.stringify(target)} was dropped again; fix the cause above and retry.`,
        restoring,
      );
    } catch (err) {
      await runToEnd(this.runner, this.binaries.dropdb, [maintenance, '--if-exists', target], { env: conn.env }).catch(
        () => undefined,
      );
      throw err;
    }
  }

  /**
   * The dump's listing (read from a first pass over its chunks: pg_restore reads only the head)
   * with `tables` left out, written to a private temporary `--use-list` file.
   */
  private async listWithout(
    manifest: BackupManifest,
    entry: DatabaseEntry,
    tables: readonly string[],
  ): Promise<{ args: string[]; leftOut: string[]; dispose(): Promise<void> }> {
    const listing = this.runner.start(this.binaries.pgRestore, ['--list', '--verbose'], {
      stdin: this.chunkStream(manifest, entry),
      inputMayEndEarly: true,
      hint: `Could not list the contents of the dump of ${entry.database}; nothing was changed. Check that pg_restore is as new as the pg_dump that wrote the backup.`,
    });
    const pieces: Buffer[] = [];
    for await (const piece of listing.stdout) pieces.push(piece as Buffer);
    await listing.finished;
    const { list, leftOut } = leaveTablesOut(Buffer.concat(pieces).toString('utf8'), tables);
    const missing = tables.filter((t) => !leftOut.includes(t));
    if (missing.length > 0)
      throw new BackupEngineError(
        BackupErrorCode.KeptTableMissing,
        `backup ${manifest.id} was taken before ${missing.join(', ')} existed in ${entry.database}: restoring it in place would bring back a schema that does not know the live ${missing.length === 1 ? 'table' : 'tables'}, which must be kept. Nothing was changed. Restore it into a new database instead (--database-mode new) and copy what you need from there.`,
      );
    const dir = await mkdtemp(join(tmpdir(), 'lockstep-restore-'));
    const file = join(dir, 'use-list');
    await writeFile(file, list, { mode: 0o600 });
    return { args: [`--use-list=${file}`], leftOut, dispose: () => rm(dir, { recursive: true, force: true }) };
  }

  private async pgRestore(
    manifest: BackupManifest,
    entry: DatabaseEntry,
    url: string,
    extra: string[],
    finalSql: string | undefined,
    hint: string,
    progress: ProgressPhase,
  ): Promise<void> {
    const stdin = this.chunkStream(manifest, entry, progress);
    const conn = libpqConnection(url);
    if (finalSql === undefined) {
      await runToEnd(this.runner, this.binaries.pgRestore, ['--no-owner', ...extra, `--dbname=${conn.url}`], {
        env: conn.env,
        stdin,
        hint,
      });
      return;
    }
    // pg_restore turns the dump into a script (no connection); psql runs it and the final SQL in one transaction
    const scriptArgs = [
      '--no-owner',
      ...extra.filter((a) => a === '--clean' || a === '--if-exists' || a.startsWith('--use-list=')),
      '--file=-',
    ];
    const script = this.runner.start(this.binaries.pgRestore, scriptArgs, { stdin, hint });
    const psql = this.runner.start(
      this.binaries.psql,
      ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--dbname=${conn.url}`],
      { env: conn.env, stdin: inOneTransaction(script, finalSql), hint },
    );
    psql.stdout.resume();
    let scriptEnded = false;
    let psqlFailedFirst = false;
    script.finished.then(
      () => (scriptEnded = true),
      () => (scriptEnded = true),
    );
    psql.finished.catch(() => {
      if (scriptEnded) return;
      psqlFailedFirst = true;
      script.kill(); // nobody reads its output any more
    });
    const [made, ran] = await Promise.allSettled([script.finished, psql.finished]);
    if (psqlFailedFirst && ran.status === 'rejected') throw ran.reason;
    // a failed script explains psql's end better than psql's own error (it then never saw COMMIT)
    if (made.status === 'rejected') throw made.reason;
    if (ran.status === 'rejected') throw ran.reason;
  }

  /** The dump's bytes in order, checked against the entry's sha256 before the last byte is handed over; progress counts bytes handed over. */
  private async *chunkStream(
    manifest: BackupManifest,
    entry: DatabaseEntry,
    progress?: ProgressPhase,
  ): AsyncGenerator<Buffer> {
    const reader = new PackReader(this.repository, this.compressor);
    const hash = createHash('sha256');
    let held: Buffer | undefined;
    let handed = 0;
    const handOver = function* (bytes: Buffer): Generator<Buffer> {
      yield bytes;
      progress?.advance((handed += bytes.length), entry.database);
    };
    for (const id of entry.chunks) {
      const plain = await reader.readChunk(id, manifest.chunks[id]);
      hash.update(plain);
      if (held) yield* handOver(held);
      held = plain;
    }
    // holding back the last chunk means pg_restore never sees a complete archive that fails its hash
    if (hash.digest('hex') !== entry.sha256)
      throw new BackupCorruptedError(
        manifest.id,
        [],
        [`database dump ${entry.path} does not match its sha256 while restoring`],
      );
    if (held) yield* handOver(held);
  }
}

function pickEntry(manifest: BackupManifest, database: string | undefined): DatabaseEntry {
  const all = manifest.entries.filter((e): e is DatabaseEntry => e.type === 'database');
  const matches = database === undefined ? all : all.filter((e) => e.database === database);
  if (matches.length === 1) return matches[0];
  const names = all.map((e) => e.database).join(', ') || 'none';
  const why =
    database === undefined
      ? all.length === 0
        ? 'holds no database'
        : 'holds several databases; name one'
      : `holds no database ${JSON.stringify(database)}`;
  throw new BackupEngineError(BackupErrorCode.NotFound, `backup ${manifest.id} ${why} (databases: ${names}).`);
}

/**
 * psql's input: BEGIN, the script pg_restore writes, the final SQL, COMMIT. COMMIT is sent
 * only once pg_restore has exited 0, so a script cut short (a damaged chunk, a failed
 * pg_restore) ends psql's input inside the transaction, and PostgreSQL rolls it all back.
 */
async function* inOneTransaction(
  script: { stdout: AsyncIterable<Buffer>; finished: Promise<void> },
  finalSql: string,
): AsyncGenerator<Buffer> {
  yield Buffer.from('BEGIN;\n');
  for await (const piece of script.stdout) yield piece;
  await script.finished;
  yield Buffer.from(`\n${finalSql}\nCOMMIT;\n`);
}
