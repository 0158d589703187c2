/** TypeORM's raw query result is rows, or [rows, count] for UPDATE … RETURNING. */
export function rowsOf<T = Record<string, unknown>>(r: unknown): T[] {
  if (Array.isArray(r) && Array.isArray(r[0])) return r[0] as T[];
  return (r as T[] | undefined) ?? [];
}
