import { Client } from 'pg';

/** Which database a URL reaches: the server's `system_identifier` and the database's name. */
export interface DatabaseIdentity {
  systemIdentifier: string;
  database: string;
}

/** Reads the identity of the database a URL reaches; rejects when it cannot connect or ask. */
export type ReadDatabaseIdentity = (url: string) => Promise<DatabaseIdentity>;

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Asks the server itself: `pg_control_system()` gives the cluster's system identifier (the same
 * however the host is spelled: localhost, 127.0.0.1, a DNS alias), `current_database()` the name.
 */
export const readDatabaseIdentity: ReadDatabaseIdentity = async (url) => {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    const { rows } = await client.query<{ system_identifier: string; database: string }>(
      'SELECT system_identifier::text AS system_identifier, current_database() AS database FROM pg_control_system()',
    );
    return { systemIdentifier: rows[0].system_identifier, database: rows[0].database };
  } finally {
    await client.end().catch(() => undefined);
  }
};

/**
 * Whether two postgres URLs reach the same database, by the identity the servers report (see
 * readDatabaseIdentity). When either cannot be asked (server down, `pg_control_system()` not
 * granted to the user), it falls back to comparing the URLs as written (sameDatabase): host,
 * port and name, which misses two spellings of one host.
 */
export async function sameDatabaseServer(
  a: string,
  b: string,
  read: ReadDatabaseIdentity = readDatabaseIdentity,
): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([read(a), read(b)]);
    return x.systemIdentifier === y.systemIdentifier && x.database === y.database;
  } catch {
    return sameDatabase(a, b);
  }
}

/** Whether two postgres URLs name the same database as written: host (case-insensitive), port (default 5432) and database name. */
export function sameDatabase(a: string, b: string): boolean {
  const key = (u: string) => {
    const url = new URL(u);
    return `${url.hostname.toLowerCase()}:${url.port || '5432'}/${decodeURIComponent(url.pathname.slice(1))}`;
  };
  return key(a) === key(b);
}
