import type { NatsConnectionSettings } from '@lockstep/config';
import { CodedError } from '@lockstep/contracts';

/** Why a process could not use NATS, as far as it can tell: the codes of MessagingUnavailableError. */
export const NatsFailures = {
  /** The server rejected the credentials (or none were given and it wants some). */
  Authentication: 'authentication',
  /** The credentials were accepted, but the user may not publish or subscribe where it must. */
  Authorization: 'authorization',
  /** TLS is required by the settings, and the server does not offer it. */
  TlsUnavailable: 'tls-unavailable',
  /** The TLS handshake failed on a certificate: the server's is not trusted, or the client's is missing or refused. */
  Certificate: 'certificate',
  /** Anything else: nothing listens, DNS, a timeout. */
  Unreachable: 'unreachable',
  /** Used before connect() succeeded. */
  NotConnected: 'not-connected',
} as const;
export type NatsFailure = (typeof NatsFailures)[keyof typeof NatsFailures];

/** Could not reach NATS or JetStream; `code` says which way it failed. */
export class MessagingUnavailableError extends CodedError<NatsFailure> {
  override name = 'MessagingUnavailableError';
}

/** Sorts a nats.js or Node error out of connect() (or the first JetStream call after it). */
export function classifyConnectFailure(err: unknown): NatsFailure {
  const e = err as (Error & { code?: string }) | undefined;
  const name = e?.name ?? '';
  const message = String(e?.message ?? err);
  const code = String(e?.code ?? '');
  if (name === 'PermissionViolationError' || /permissions violation/i.test(message)) return NatsFailures.Authorization;
  if (
    name === 'AuthorizationError' ||
    name === 'UserAuthenticationExpiredError' ||
    /authori[sz]ation violation/i.test(message)
  )
    return NatsFailures.Authentication;
  if (/does not support 'tls'|tls.*is not available/i.test(message)) return NatsFailures.TlsUnavailable;
  if (/CERT|SSL|TLS|ALTNAME/.test(code) || /certificate|SSL routines|tls alert/i.test(message))
    return NatsFailures.Certificate;
  return NatsFailures.Unreachable;
}

/** A server URL without the `user:password@` or `token@` a URL may carry. */
const withoutUserInfo = (url: string): string => url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');

/**
 * A MessagingUnavailableError for a failed connection, naming the servers and, by the kind of
 * failure, the setting to fix. Never includes a secret: only variable names and file paths.
 */
export function explainConnectFailure(err: unknown, settings: NatsConnectionSettings): MessagingUnavailableError {
  if (err instanceof MessagingUnavailableError) return err;
  const failure = classifyConnectFailure(err);
  const at = `NATS at ${settings.NATS_URL.map(withoutUserInfo).join(',')}`;
  const reason = String((err as Error | undefined)?.message ?? err).trim();
  const advice: Record<NatsFailure, string> = {
    [NatsFailures.Authentication]: `authentication failed (${reason}): the server rejected ${authMethod(settings)}`,
    [NatsFailures.Authorization]: `authorization violation (${reason}): the server accepted ${authMethod(settings)} but its permissions do not allow this; grant the user the subjects named (and subscribe on its reply inbox _INBOX_<user>.>) in the server's authorization config`,
    [NatsFailures.TlsUnavailable]: `TLS is required (${tlsReason(settings)}) but the server does not offer it; enable tls { } in nats-server, or point NATS_URL at a server that has it`,
    [NatsFailures.Certificate]: `the TLS handshake failed on a certificate (${reason}); ${certificateAdvice(settings)}`,
    // a server that verifies clients may drop the connection after the handshake instead of
    // sending an alert (TLS 1.3), which looks like a reset: say what to set in that case too
    [NatsFailures.Unreachable]: `${reason}; start nats-server with -js or fix NATS_URL${
      tlsRequired(settings) && !settings.NATS_TLS_CERT_FILE
        ? '; if the server verifies clients (verify: true), set NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE'
        : ''
    }`,
    [NatsFailures.NotConnected]: `${reason}; connect first`,
  };
  return new MessagingUnavailableError(failure, `cannot connect to ${at}: ${advice[failure]}`, { cause: err });
}

function authMethod(s: NatsConnectionSettings): string {
  if (s.NATS_CREDS_FILE) return `the creds file of NATS_CREDS_FILE (${s.NATS_CREDS_FILE}); fix NATS_CREDS_FILE`;
  if (s.NATS_NKEY_SEED_FILE)
    return `the NKey seed of NATS_NKEY_SEED_FILE (${s.NATS_NKEY_SEED_FILE}); fix NATS_NKEY_SEED_FILE or add its public key to the server`;
  if (s.NATS_USER)
    return `user ${s.NATS_USER} with NATS_PASSWORD; fix NATS_USER and NATS_PASSWORD (or NATS_PASSWORD_FILE)`;
  if (s.NATS_TOKEN) return 'the token of NATS_TOKEN; fix NATS_TOKEN (or NATS_TOKEN_FILE)';
  return 'a connection without credentials; set NATS_CREDS_FILE, NATS_NKEY_SEED_FILE, NATS_USER + NATS_PASSWORD or NATS_TOKEN';
}

/** True when the settings ask for TLS; nats.js itself would take a tls:// URL as plain nats://. */
export function tlsRequired(settings: NatsConnectionSettings): boolean {
  return (
    settings.NATS_TLS_REQUIRED === true ||
    settings.NATS_URL.some((url) => url.trim().toLowerCase().startsWith('tls://')) ||
    !!(settings.NATS_TLS_CA_FILE || settings.NATS_TLS_CERT_FILE || settings.NATS_TLS_KEY_FILE)
  );
}

function tlsReason(s: NatsConnectionSettings): string {
  if (s.NATS_URL.some((u) => u.trim().toLowerCase().startsWith('tls://'))) return 'NATS_URL is tls://';
  if (s.NATS_TLS_REQUIRED) return 'NATS_TLS_REQUIRED=true';
  return 'a NATS_TLS_* file is set';
}

function certificateAdvice(s: NatsConnectionSettings): string {
  const ca = s.NATS_TLS_CA_FILE
    ? `check that NATS_TLS_CA_FILE (${s.NATS_TLS_CA_FILE}) holds the CA that signed the server's certificate and that the certificate names the host of NATS_URL`
    : "set NATS_TLS_CA_FILE to the CA that signed the server's certificate";
  const client = s.NATS_TLS_CERT_FILE
    ? `; if the server verifies clients, check that it trusts NATS_TLS_CERT_FILE (${s.NATS_TLS_CERT_FILE})`
    : '; if the server verifies clients (verify: true), set NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE';
  return ca + client;
}
