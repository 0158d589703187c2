import { accessSync, constants, readFileSync } from 'node:fs';
import { z } from 'zod';
import { env } from './env';

/**
 * How every Lockstep process reaches NATS: the servers, at most one way to prove who it is,
 * and TLS. Part of commonSchema; tools that connect outside a service (bench, fixtures) parse
 * these alone with `loadConfig(name, z.object(natsSchema))`.
 */
export const natsSchema = {
  /** Comma-separated NATS server URLs; `tls://` ones require TLS (as NATS_TLS_REQUIRED=true does). */
  NATS_URL: env.urlList(['nats', 'tls'], 'nats://127.0.0.1:4222'),
  /** A .creds file (user JWT + NKey seed), as `nsc generate creds` writes it. */
  NATS_CREDS_FILE: z.string().optional(),
  /** A file holding an NKey user seed (SU…), for a server that lists the user's public key (U…). */
  NATS_NKEY_SEED_FILE: z.string().optional(),
  /** User name of user/password authentication (with NATS_PASSWORD). */
  NATS_USER: z.string().optional(),
  /** Password of NATS_USER (or NATS_PASSWORD_FILE). */
  NATS_PASSWORD: z.string().optional(),
  /** Token authentication (or NATS_TOKEN_FILE). */
  NATS_TOKEN: z.string().optional(),
  /** PEM file of the CA(s) that signed the server's certificate, when it is not a public CA. */
  NATS_TLS_CA_FILE: z.string().optional(),
  /** PEM client certificate, for a server that verifies clients (`verify: true`); with NATS_TLS_KEY_FILE. */
  NATS_TLS_CERT_FILE: z.string().optional(),
  /** PEM private key of NATS_TLS_CERT_FILE. */
  NATS_TLS_KEY_FILE: z.string().optional(),
  /** Refuse a server that does not offer TLS (implied by a tls:// URL or any NATS_TLS_* file). */
  NATS_TLS_REQUIRED: env.bool(false),
};

/** The parsed NATS connection settings. */
export type NatsSettings = z.infer<z.ZodObject<typeof natsSchema>>;

/** NATS settings as a caller may hand them over: the servers, and whatever else is set. */
export type NatsConnectionSettings = Pick<NatsSettings, 'NATS_URL'> & Partial<Omit<NatsSettings, 'NATS_URL'>>;

/** An NKey user seed: `SU` then 56 base32 characters. */
const USER_SEED = /^SU[A-Z2-7]{56}$/;

/** The two parts of a .creds file. */
export interface NatsCreds {
  /** The user JWT. */
  jwt: string;
  /** The user's NKey seed (SU…). */
  seed: string;
}

/**
 * Reads the JWT and the user seed out of the text of a .creds file (the blocks between
 * `-----BEGIN NATS USER JWT-----` and `-----BEGIN USER NKEY SEED-----` lines and their END
 * lines); throws an Error saying what is missing.
 */
export function parseCredsFile(text: string): NatsCreds {
  const block = (title: string) =>
    new RegExp(`-{3,}BEGIN ${title}-{3,}\\r?\\n\\s*(\\S+)\\s*\\r?\\n\\s*-{3,}END ${title}-{3,}`).exec(text)?.[1];
  const jwt = block('NATS USER JWT');
  const seed = block('USER NKEY SEED');
  if (!jwt) throw new Error('it holds no "BEGIN NATS USER JWT" block');
  if (!seed) throw new Error('it holds no "BEGIN USER NKEY SEED" block');
  if (!USER_SEED.test(seed)) throw new Error('its seed block is not an NKey user seed (SU…)');
  return { jwt, seed };
}

/** Reads an NKey user seed file; throws an Error saying why it is not one. */
export function parseNkeySeedFile(text: string): string {
  const seed = text.trim();
  if (USER_SEED.test(seed)) return seed;
  if (/^S[A-Z]/.test(seed))
    throw new Error(`it holds an NKey seed of another kind (${seed.slice(0, 2)}…), not a user seed (SU…)`);
  throw new Error('it does not hold an NKey user seed (SU… on one line)');
}

const AUTH_METHODS = [
  ['NATS_CREDS_FILE'],
  ['NATS_NKEY_SEED_FILE'],
  ['NATS_USER', 'NATS_PASSWORD'],
  ['NATS_TOKEN'],
] as const satisfies ReadonlyArray<ReadonlyArray<keyof NatsSettings>>;

/**
 * What is wrong with a set of NATS settings, one line per problem, each naming the variable
 * and what to do: two ways to authenticate, a password without a user (or the reverse), a
 * certificate without its key, a file that cannot be read or does not hold what it should.
 * Empty when they are fine. loadConfig runs it on every config that has NATS settings.
 */
export function natsSettingsProblems(c: Partial<Record<keyof NatsSettings, unknown>>): string[] {
  const problems: string[] = [];
  const has = (key: keyof NatsSettings) => typeof c[key] === 'string' && c[key] !== '';
  const chosen = AUTH_METHODS.filter((keys) => keys.some(has)).map((keys) => keys.filter(has).join(' + '));
  if (chosen.length > 1)
    problems.push(
      `${chosen.join(', ')}: these are ${chosen.length} ways to authenticate to NATS; set only one (a creds file, an NKey seed file, a user with a password, or a token)`,
    );
  if (has('NATS_PASSWORD') && !has('NATS_USER'))
    problems.push('NATS_PASSWORD: set NATS_USER too (the user the password belongs to), or unset NATS_PASSWORD');
  if (has('NATS_USER') && !has('NATS_PASSWORD'))
    problems.push(
      'NATS_USER: set NATS_PASSWORD (or NATS_PASSWORD_FILE) too; a NATS user without a password is refused',
    );
  if (has('NATS_TLS_CERT_FILE') !== has('NATS_TLS_KEY_FILE'))
    problems.push(
      'NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE: a client certificate needs its private key; set both or neither',
    );
  const file = (key: keyof NatsSettings, holds: string, check?: (text: string) => unknown) => {
    if (!has(key)) return;
    const path = c[key] as string;
    try {
      if (!check) return accessSync(path, constants.R_OK);
      check(readFileSync(path, 'utf8'));
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      problems.push(`${key}: cannot use ${path} (${reason}); point it at a readable file holding ${holds}`);
    }
  };
  file('NATS_CREDS_FILE', 'the user JWT and NKey seed (nsc generate creds)', parseCredsFile);
  file('NATS_NKEY_SEED_FILE', 'an NKey user seed starting with SU (nk -gen user)', parseNkeySeedFile);
  file('NATS_TLS_CA_FILE', 'the PEM certificate of the CA that signed the NATS server certificate');
  file('NATS_TLS_CERT_FILE', 'the PEM client certificate');
  file('NATS_TLS_KEY_FILE', 'the PEM private key of the client certificate');
  return problems;
}

/**
 * The settings back as environment variables, for a process that starts another one with the
 * same NATS connection (bench, tests). Unset settings are left out.
 */
export function natsSettingsEnv(settings: NatsConnectionSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (!(key in natsSchema) || value === undefined || value === '') continue;
    out[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}
