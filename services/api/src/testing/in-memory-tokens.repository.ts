import type { EntityManager } from 'typeorm';
import type { NewToken, TokenRecord, TokensRepository } from '../tokens/tokens.repository';

/** `api_tokens` in memory, for HTTP specs that do not test tokens themselves; `at` is its clock. */
export class InMemoryTokensRepository implements Pick<
  TokensRepository,
  'now' | 'find' | 'list' | 'insert' | 'revoke' | 'touch' | 'whenNoOwner'
> {
  readonly rows = new Map<string, TokenRecord>();
  at = new Date('2026-01-01T00:00:00Z');

  now(): Date {
    return new Date(this.at);
  }

  async find(id: string): Promise<TokenRecord | null> {
    return this.rows.get(id) ?? null;
  }

  async list(): Promise<TokenRecord[]> {
    return [...this.rows.values()].reverse();
  }

  async insert(token: NewToken): Promise<TokenRecord> {
    const row: TokenRecord = { ...token, createdAt: this.now(), revokedAt: null, lastUsedAt: null };
    this.rows.set(row.id, row);
    return row;
  }

  async revoke(id: string): Promise<TokenRecord | 'last-owner' | null> {
    const row = this.rows.get(id);
    if (!row || row.revokedAt) return row ?? null;
    const usable = (r: TokenRecord) =>
      r.role === 'owner' && !r.components && !r.revokedAt && (!r.expiresAt || r.expiresAt > this.now());
    if (usable(row) && ![...this.rows.values()].some((r) => r.id !== id && usable(r))) return 'last-owner';
    row.revokedAt = this.now();
    return row;
  }

  async touch(id: string, at: Date): Promise<void> {
    const row = this.rows.get(id);
    if (row) row.lastUsedAt = at;
  }

  async whenNoOwner<T>(create: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
    const owner = [...this.rows.values()].some((r) => r.role === 'owner' && !r.components && !r.revokedAt);
    return owner ? undefined : create(undefined as unknown as EntityManager);
  }
}
