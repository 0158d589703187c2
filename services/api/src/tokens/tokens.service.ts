import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { open, unlink } from 'node:fs/promises';
import {
  ApiErrorCode,
  Role,
  systemActor,
  tokenLifetimeMs,
  type AuditActor,
  type CreateTokenBody,
  type TokenCreated,
  type TokenView,
} from '@lockstep/contracts';
import { ApiError } from '../http/api-error';
import { hashToken, mintToken, tokenId, tokenMatches } from './token-secret';
import { TokensRepository, type TokenRecord } from './tokens.repository';

/** Where the API writes the first owner token of a fresh install (the API_BOOTSTRAP_TOKEN_FILE setting). */
export const BOOTSTRAP_TOKEN_FILE = Symbol('BOOTSTRAP_TOKEN_FILE');

/** A token the API accepted: who it is, and when its use was last recorded. */
export interface AuthenticatedToken {
  actor: AuditActor;
  lastUsedAt: Date | null;
}

/** Audit actions of token changes. */
export const TokenAuditAction = {
  Create: 'token.create',
  Revoke: 'token.revoke',
  /** The API made a fresh install's first owner token on its own. */
  Bootstrap: 'token.bootstrap',
} as const;

/** A use is written to `last_used_at` at most this often per token, so reads do not write on every request. */
const TOUCH_EVERY_MS = 60_000;

const HOW_TO_SEND =
  'send `Authorization: Bearer lst_...` (the CLI: --token, LOCKSTEP_TOKEN or `lockstep login`); an owner creates tokens with `lockstep tokens create`';

const unauthenticated = (code: string, detail: string): ApiError =>
  new ApiError(401, code, `${detail}; ${HOW_TO_SEND}`);

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A token as the API shows it: never the secret or its hash. */
export const toTokenView = (t: TokenRecord): TokenView => ({
  id: t.id,
  name: t.name,
  role: t.role,
  components: t.components,
  createdAt: t.createdAt.toISOString(),
  createdBy: t.createdBy,
  expiresAt: iso(t.expiresAt),
  revokedAt: iso(t.revokedAt),
  lastUsedAt: iso(t.lastUsedAt),
});

/** API tokens: issuing, listing, revoking, checking a request's token, and the bootstrap token of a fresh install. */
@Injectable()
export class TokensService {
  private readonly logger = new Logger('TokensService');

  constructor(
    private readonly repo: TokensRepository,
    @Optional() @Inject(BOOTSTRAP_TOKEN_FILE) private readonly bootstrapFile?: string,
  ) {}

  /** Issues a token; the answer carries the token itself, the only time it is shown. */
  async create(body: CreateTokenBody, by: AuditActor): Promise<TokenCreated> {
    const minted = mintToken();
    const expiresAt = body.expires ? new Date(this.repo.now().getTime() + tokenLifetimeMs(body.expires)) : null;
    const components = body.components ? [...new Set(body.components)].sort() : null;
    const stored = await this.repo.insert(
      {
        id: minted.id,
        name: body.name,
        role: body.role,
        components,
        secretHash: hashToken(minted.token),
        createdBy: by.name,
        expiresAt,
      },
      {
        actor: by,
        action: TokenAuditAction.Create,
        target: minted.id,
        params: { name: body.name, role: body.role, components, expiresAt: iso(expiresAt) },
      },
    );
    return { ...toTokenView(stored), token: minted.token };
  }

  async list(): Promise<TokenView[]> {
    return (await this.repo.list()).map(toTokenView);
  }

  /** Revokes a token: from now on it is refused with 401 TOKEN_REVOKED. 409 for the last usable owner token. */
  async revoke(id: string, by: AuditActor): Promise<TokenView> {
    const revoked = await this.repo.revoke(id, { actor: by, action: TokenAuditAction.Revoke, target: id });
    if (!revoked) throw ApiError.notFound(`token ${id} does not exist; list tokens with \`lockstep tokens list\``);
    if (revoked === 'last-owner')
      throw new ApiError(
        409,
        ApiErrorCode.LastOwnerToken,
        `token ${id} is the last owner token that works for every component; revoking it would leave nobody able to manage tokens: create another owner token first (lockstep tokens create --role owner)`,
      );
    return toTokenView(revoked);
  }

  /**
   * The token behind an `Authorization` header value; throws 401 (TOKEN_MISSING, TOKEN_INVALID,
   * TOKEN_EXPIRED, TOKEN_REVOKED) otherwise. One read by primary key, no write: the caller
   * records the use with {@link recordUse} once the request is allowed.
   */
  async authenticate(authorization: string | undefined, source: string | null): Promise<AuthenticatedToken> {
    if (!authorization) throw unauthenticated(ApiErrorCode.TokenMissing, 'this route needs an API token');
    const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated(ApiErrorCode.TokenMissing, 'the Authorization header is not `Bearer <token>`');
    const token = match[1];
    const id = tokenId(token);
    if (!id) throw unauthenticated(ApiErrorCode.TokenInvalid, 'the bearer token is not a Lockstep token (lst_...)');
    const record = await this.repo.find(id);
    if (!record || !tokenMatches(token, record.secretHash))
      throw unauthenticated(ApiErrorCode.TokenInvalid, 'the API did not issue this token (or it was deleted)');
    if (record.revokedAt)
      throw unauthenticated(ApiErrorCode.TokenRevoked, `token ${record.id} (${record.name}) was revoked`);
    if (record.expiresAt && record.expiresAt <= this.repo.now())
      throw unauthenticated(
        ApiErrorCode.TokenExpired,
        `token ${record.id} (${record.name}) expired at ${record.expiresAt.toISOString()}`,
      );
    return {
      actor: {
        kind: 'token',
        id: record.id,
        name: record.name,
        role: record.role,
        components: record.components,
        source,
      },
      lastUsedAt: record.lastUsedAt,
    };
  }

  /** Records that an allowed request used the token: written at most once a minute per token, so reads rarely write. */
  async recordUse(token: AuthenticatedToken): Promise<void> {
    const now = this.repo.now();
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= TOUCH_EVERY_MS)
      await this.repo.touch(token.actor.id, now);
  }

  /**
   * A fresh install's first owner token: when no usable owner token exists and
   * API_BOOTSTRAP_TOKEN_FILE is set, makes one named `bootstrap` and writes it to that file
   * (created exclusively, mode 0600, never overwritten). Safe across replicas: Postgres
   * serialises them and only the first finds no owner. Logs the file, never the token.
   */
  async bootstrap(): Promise<void> {
    const file = this.bootstrapFile;
    const made = await this.repo.whenNoOwner(async (manager) => {
      if (!file) return 'no-file' as const;
      const minted = mintToken();
      let handle;
      try {
        handle = await open(file, 'wx', 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'file-exists' as const;
        throw new Error(`cannot create the bootstrap token file ${file} (${(err as Error).message})`, { cause: err });
      }
      try {
        await handle.writeFile(`${minted.token}\n`);
        await handle.close();
        await this.repo.insert(
          {
            id: minted.id,
            name: 'bootstrap',
            role: Role.Owner,
            components: null,
            secretHash: hashToken(minted.token),
            createdBy: null,
            expiresAt: null,
          },
          {
            actor: systemActor('api'),
            action: TokenAuditAction.Bootstrap,
            target: minted.id,
            params: { name: 'bootstrap', role: Role.Owner, file },
          },
          manager,
        );
      } catch (err) {
        await handle.close().catch(() => undefined);
        await unlink(file).catch(() => undefined);
        throw err;
      }
      return 'created' as const;
    });
    if (made === 'created')
      this.logger.warn(
        `no owner token existed: wrote a new owner token named bootstrap to ${file} (mode 0600); log in with \`lockstep login --token-file ${file}\`, create your own tokens, then revoke the bootstrap token and delete the file`,
      );
    else if (made === 'no-file')
      this.logger.warn(
        'no owner token exists and API_BOOTSTRAP_TOKEN_FILE is not set: every request is refused with 401; set API_BOOTSTRAP_TOKEN_FILE=/path/to/file and restart the API to get a first owner token there',
      );
    else if (made === 'file-exists')
      this.logger.error(
        `no owner token exists, but the bootstrap token file ${file} already exists and the API never overwrites it: move it away and restart the API to get a new owner token there`,
      );
  }
}
