/** A libpq connection for a child program: the URL without its password, and the password in the environment. */
export interface LibpqConnection {
  /** The connection URL without a password (neither `user:password@` nor `?password=`). */
  url: string;
  /** Environment variables to add for the program: `PGPASSWORD` when the URL had a password. */
  env: Record<string, string>;
}

/**
 * Splits the password off a `postgres://user:password@host/db` URL, so pg_dump, pg_restore,
 * createdb and dropdb get it through `PGPASSWORD` and never on their command line, where `ps`
 * (and any user of the machine) would see it. A value that is not a URL is passed on as it is
 * (the program will say what is wrong with it).
 */
export function libpqConnection(url: string): LibpqConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, env: {} };
  }
  const fromQuery = u.searchParams.get('password');
  const password = u.password ? decodeURIComponent(u.password) : fromQuery;
  u.password = '';
  u.searchParams.delete('password');
  return { url: u.toString(), env: password ? { PGPASSWORD: password } : {} };
}
