import { z } from 'zod';
import { RoleSchema } from '../auth';
import { ComponentUpsertV1 } from '../queries';

/**
 * API tokens (`/v1/tokens`). A token reads `lst_<id>_<secret>`: the recognisable `lst_`
 * prefix lets secret scanners match a leaked one, the id (16 hex digits) finds its row, and
 * the secret is 32 random bytes in base64url (43 characters). The API stores only a hash.
 */
export const TOKEN_PREFIX = 'lst_';

/** The shape of a token; group 1 is its id, group 2 its secret. */
export const TOKEN_PATTERN = /^lst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A token's id: 16 hex digits (the part after `lst_`), as `lockstep tokens list` shows it. */
export const TokenId = z
  .string()
  .regex(/^[0-9a-f]{16}$/, { message: 'expected a token id (16 hex digits, as `lockstep tokens list` shows it)' });

const EXPIRY_MESSAGE = 'expected a lifetime like 12h, 90d or 52w (a whole number of hours, days or weeks)';

/** A token lifetime: a whole number of hours (`h`), days (`d`) or weeks (`w`), e.g. `90d`. */
export const TokenLifetime = z.string().regex(/^[1-9][0-9]{0,4}[hdw]$/, { message: EXPIRY_MESSAGE });

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds of a {@link TokenLifetime} (`90d` → 7 776 000 000). */
export const tokenLifetimeMs = (lifetime: string): number =>
  Number(lifetime.slice(0, -1)) * UNIT_MS[lifetime.slice(-1) as keyof typeof UNIT_MS];

/** Body of `POST /v1/tokens`. */
export const CreateTokenBody = z.strictObject({
  /** A name people recognise in `tokens list` and the audit trail (`ci-deploy`, `alice`). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, {
      message: 'a token name is 1-100 letters, digits, dot, dash, underscore or @, starting with a letter or digit',
    })
    .describe('a name people recognise in tokens list and the audit trail'),
  /** viewer, operator or owner. */
  role: RoleSchema.describe('viewer (reads), operator (checks, rollouts, backups create/verify) or owner (everything)'),
  /** Narrow the token to these components; absent: every component. */
  components: z
    .array(ComponentUpsertV1.shape.name)
    .min(1, { message: 'list at least one component, or leave components out for every component' })
    .optional()
    .describe('narrow the token to these components (rollouts, backups, checks of others are refused)'),
  /** How long the token lives (`90d`); absent: until revoked. */
  expires: TokenLifetime.optional().describe('how long the token lives, e.g. 90d; absent: until revoked'),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

/** A token as `GET /v1/tokens` shows it: never its secret or hash. */
export const TokenView = z.object({
  /** The token's id (the 16 hex digits after `lst_`). */
  id: z.string(),
  /** Its name. */
  name: z.string(),
  /** viewer, operator or owner. */
  role: RoleSchema,
  /** Components it is narrowed to; null: every component. */
  components: z.array(z.string()).nullable(),
  /** When it was created (RFC 3339). */
  createdAt: z.string(),
  /** Name of the token that created it; null for the bootstrap token. */
  createdBy: z.string().nullable(),
  /** When it stops working (RFC 3339); null: never. */
  expiresAt: z.string().nullable(),
  /** When it was revoked (RFC 3339); null: not revoked. */
  revokedAt: z.string().nullable(),
  /** When it was last accepted (RFC 3339, updated at most once a minute); null: never used. */
  lastUsedAt: z.string().nullable(),
});
export type TokenView = z.infer<typeof TokenView>;

/** What `POST /v1/tokens` answers: the token itself, shown this once. */
export const TokenCreated = TokenView.extend({
  /** The token (`lst_<id>_<secret>`); shown once, never again: store it now. */
  token: z.string().describe('the token; shown once, never again: store it now'),
});
export type TokenCreated = z.infer<typeof TokenCreated>;
