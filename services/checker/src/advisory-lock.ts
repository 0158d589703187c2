import type { DataSource } from 'typeorm';

/**
 * Runs fn while holding the session-level Postgres advisory lock named `name` (hashed), on a
 * connection of its own; answers undefined without running fn when another replica holds it.
 */
export async function withTryAdvisoryLock<T>(
  ds: DataSource,
  name: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [row] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [name])) as Array<{
      ok: boolean;
    }>;
    if (!row?.ok) return undefined;
    try {
      return await fn();
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [name]);
    }
  } finally {
    await runner.release();
  }
}
