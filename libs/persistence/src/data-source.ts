import { Client } from 'pg';
import { DataSource, type LoggerOptions } from 'typeorm';
import { allEntities } from './entities';
import { allMigrations } from './migrations';

/** Postgres could not be reached or the schema could not be brought up to date. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const MIGRATION_LOCK = 728_361_001;

/** Creates the database named in the URL when it does not exist (needs CREATEDB). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new Client({ connectionString: admin.toString() });
  try {
    await c.connect();
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount)
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created by a racing replica
      });
  } catch (err) {
    throw new DatabaseUnavailableError(
      `cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}. Start PostgreSQL or fix DATABASE_URL.`,
      { cause: err },
    );
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The TypeORM data source for Lockstep's schema. `synchronize` is never on: the schema comes from migrations. */
export function createDataSource(
  url: string,
  options: { logging?: LoggerOptions; poolSize?: number } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: allEntities,
    migrations: allMigrations,
    migrationsTableName: 'lockstep_migrations',
    synchronize: false,
    logging: options.logging ?? ['error'],
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5000 },
  });
}

/**
 * Runs pending migrations under a Postgres advisory lock, so replicas starting together
 * do not race; each migration runs in its own transaction.
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** A data source for `url`, connected and with every migration run (tools and integration specs). */
export async function openMigratedDataSource(url: string): Promise<DataSource> {
  const ds = createDataSource(url);
  await ds.initialize();
  await runMigrations(ds);
  return ds;
}

/** A URL with its password masked, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]+@/, '//$1:***@');
