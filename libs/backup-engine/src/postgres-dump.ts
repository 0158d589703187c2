import { libpqConnection } from './libpq-connection';
import { DatabaseDumpFormat } from './manifest';
import { ChildProcessRunner, type ProcessRunner } from './process-runner';
import type { StreamSource } from './stream-source';

/** Which PostgreSQL database to dump. */
export interface PgDumpOptions {
  /** Connection URL, e.g. `postgres://user@host:5432/app`. */
  url: string;
  /** Name recorded in the manifest; defaults to the database named in the URL's path. */
  database?: string;
  /** Runs pg_dump; defaults to child processes. */
  runner?: ProcessRunner;
  /** pg_dump binary; defaults to `LOCKSTEP_PG_DUMP_BIN` or `pg_dump` on PATH. */
  binary?: string;
}

/** The database named in a connection URL's path (`/app` → `app`). */
export function databaseNameOf(url: string): string {
  let name = '';
  try {
    name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    // not a URL: pg_dump will say so when it runs
  }
  return name || 'postgres';
}

/** Entry names must be plain path segments; odd database names are escaped. */
function entryName(database: string): string {
  return `database/${database.replace(/[^A-Za-z0-9._-]/g, '_')}.dump`;
}

/**
 * A StreamSource that runs `pg_dump --format=custom --compress=0 --no-owner --dbname=<url>`
 * (the URL's password goes in `PGPASSWORD`, never on the command line)
 * and streams its output straight into the backup: nothing is staged on disk. The dump is
 * left uncompressed (pg_restore reads it all the same) because the backup compresses every
 * chunk with zstd anyway, and a compressed dump defeats deduplication: one changed row
 * re-encodes the rest of its table's stream, so the next backup would upload all of it
 * again, where an uncompressed dump changes only the chunks around the row. A non-zero exit makes the
 * stream throw an ExternalCommandError naming pg_dump and its stderr, so the backup fails
 * before its manifest is written. If the backup stops reading early, pg_dump is killed.
 */
export function pgDumpSource(options: PgDumpOptions): StreamSource {
  const runner = options.runner ?? new ChildProcessRunner();
  const binary = options.binary ?? process.env.LOCKSTEP_PG_DUMP_BIN ?? 'pg_dump';
  const database = options.database ?? databaseNameOf(options.url);
  return {
    path: entryName(database),
    database,
    format: DatabaseDumpFormat.PgCustom,
    async *open(): AsyncGenerator<Buffer> {
      const conn = libpqConnection(options.url);
      const proc = runner.start(binary, ['--format=custom', '--compress=0', '--no-owner', `--dbname=${conn.url}`], {
        env: conn.env,
        hint: `The backup of database ${JSON.stringify(database)} was not taken; check the connection URL, that the database exists and that the user may read it.`,
      });
      let done = false;
      try {
        for await (const b of proc.stdout) yield b as Buffer;
        await proc.finished;
        done = true;
      } finally {
        if (!done) proc.kill();
      }
    },
  };
}
