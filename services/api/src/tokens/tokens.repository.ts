import { appendAudit, type AuditRecordInput } from '@lockstep/persistence';
import { Injectable } from '@nestjs/common';
import type { Role } from '@lockstep/contracts';
import { DataSource, type EntityManager } from 'typeorm';

/** One row of `api_tokens`. */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  /** Components the token is narrowed to; null: every component. */
  components: string[] | null;
  secretHash: string;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A token to store (the hash only, never the token). */
export type NewToken = Pick<
  TokenRecord,
  'id' | 'name' | 'role' | 'components' | 'secretHash' | 'createdBy' | 'expiresAt'
>;

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  components: string[] | null;
  secret_hash: string;
  created_at: Date;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const toRecord = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  components: r.components,
  secretHash: r.secret_hash,
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/** Arbitrary, fixed key of the advisory lock that makes the bootstrap token one per install across replicas. */
const BOOTSTRAP_LOCK_KEY = 7_365_000_001;

/** `api_tokens` in Postgres, and the clock the token checks read. */
@Injectable()
export class TokensRepository {
  constructor(private readonly ds: DataSource) {}

  /** The time expiry and last use are measured against. */
  now(): Date {
    return new Date();
  }

  /** One token by id (the primary key: one indexed read per request). */
  async find(id: string): Promise<TokenRecord | null> {
    const rows: TokenRow[] = await this.ds.query(`SELECT * FROM "api_tokens" WHERE "id" = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Every token, newest first. */
  async list(): Promise<TokenRecord[]> {
    const rows: TokenRow[] = await this.ds.query(`SELECT * FROM "api_tokens" ORDER BY "created_at" DESC, "id"`);
    return rows.map(toRecord);
  }

  /** Stores a token and, in the same transaction, its audit record (`manager`: the caller's transaction, if any). */
  async insert(token: NewToken, audit: AuditRecordInput, manager?: EntityManager): Promise<TokenRecord> {
    if (!manager) return this.ds.transaction((m) => this.insert(token, audit, m));
    const rows: TokenRow[] = await manager.query(
      `INSERT INTO "api_tokens" ("id", "name", "role", "components", "secret_hash", "created_by", "expires_at", "created_at")
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) RETURNING *`,
      [
        token.id,
        token.name,
        token.role,
        token.components ? JSON.stringify(token.components) : null,
        token.secretHash,
        token.createdBy,
        token.expiresAt,
        this.now(),
      ],
    );
    await appendAudit(manager, audit);
    return toRecord(rows[0]);
  }

  /**
   * Marks a token revoked (once; a second revoke keeps the first time). Null when there is no
   * such token; `last-owner` (and nothing changed) when it is the last usable owner token not
   * narrowed to components, whose loss would leave nobody able to manage tokens. Serialised
   * with the bootstrap, so two revokes at once cannot remove the last two owners.
   */
  async revoke(id: string, audit: AuditRecordInput): Promise<TokenRecord | 'last-owner' | null> {
    return this.ds.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [BOOTSTRAP_LOCK_KEY]);
      const found: TokenRow[] = await manager.query(`SELECT * FROM "api_tokens" WHERE "id" = $1`, [id]);
      if (!found[0]) return null;
      if (found[0].revoked_at) return toRecord(found[0]);
      if (found[0].role === 'owner' && !found[0].components) {
        const others: unknown[] = await manager.query(
          `SELECT 1 FROM "api_tokens" WHERE "id" <> $1 AND "role" = 'owner' AND "components" IS NULL
           AND "revoked_at" IS NULL AND ("expires_at" IS NULL OR "expires_at" > $2) LIMIT 1`,
          [id, this.now()],
        );
        if (!others.length) return 'last-owner';
      }
      // TypeORM answers an UPDATE … RETURNING as [rows, affected count].
      const [rows]: [TokenRow[], number] = await manager.query(
        `UPDATE "api_tokens" SET "revoked_at" = $2 WHERE "id" = $1 RETURNING *`,
        [id, this.now()],
      );
      await appendAudit(manager, audit);
      return toRecord(rows[0]);
    });
  }

  /** Records a use at `at` unless one was recorded less than a minute before. */
  async touch(id: string, at: Date): Promise<void> {
    await this.ds.query(
      `UPDATE "api_tokens" SET "last_used_at" = $2
       WHERE "id" = $1 AND ("last_used_at" IS NULL OR "last_used_at" < $2::timestamptz - interval '1 minute')`,
      [id, at],
    );
  }

  /**
   * Runs `create` under a transaction-wide advisory lock when no usable owner token for every
   * component exists,
   * so of several replicas starting at once exactly one makes the bootstrap token. Answers
   * what `create` answered, or undefined when an owner token already exists.
   */
  async whenNoOwner<T>(create: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.ds.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [BOOTSTRAP_LOCK_KEY]);
      const owners: unknown[] = await manager.query(
        `SELECT 1 FROM "api_tokens" WHERE "role" = 'owner' AND "components" IS NULL AND "revoked_at" IS NULL
         AND ("expires_at" IS NULL OR "expires_at" > $1) LIMIT 1`,
        [this.now()],
      );
      return owners.length ? undefined : create(manager);
    });
  }
}
