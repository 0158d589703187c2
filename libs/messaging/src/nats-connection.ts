import { readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { parseCredsFile, parseNkeySeedFile, type NatsConnectionSettings } from '@lockstep/config';
import { explainConnectFailure, tlsRequired } from './nats-connect-failure';

/** The part of nats.js ConnectionOptions that NATS settings decide. */
export type NatsConnectionOptions = Pick<
  ConnectionOptions,
  'servers' | 'authenticator' | 'user' | 'pass' | 'token' | 'tls' | 'inboxPrefix'
>;

/** nats.js' reply-inbox prefix, kept for a connection with only a token or no authentication. */
export const DEFAULT_INBOX_PREFIX = '_INBOX';

/**
 * The reply-inbox prefix of an identity: `_INBOX_<identity>`. A NATS server config grants each
 * user `subscribe: _INBOX_<identity>.>` by the same rule, so no user can read another's replies.
 */
export const inboxPrefixFor = (identity: string): string => `${DEFAULT_INBOX_PREFIX}_${identity}`;

/**
 * Who the settings authenticate as, the name their reply inbox carries: NATS_USER; the public
 * key (U…) of the NKey seed in NATS_NKEY_SEED_FILE or in the creds file of NATS_CREDS_FILE.
 * Undefined with only a token or no authentication (they share nats.js' `_INBOX`). Reads the
 * seed or creds file; throws when it is not one (loadConfig has refused such settings already).
 */
export function natsIdentity(settings: NatsConnectionSettings): string | undefined {
  if (settings.NATS_USER) return settings.NATS_USER;
  const seed = userSeed(settings);
  return seed === undefined ? undefined : nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
}

/**
 * The nats.js options every Lockstep connection is made with, from the NATS settings: servers,
 * one authenticator (creds file, NKey seed, user/password or token), TLS, and an inbox prefix of
 * its own per identity (inboxPrefixFor). TLS is required (nats.js then refuses a server that does
 * not offer it) when a URL is `tls://`, NATS_TLS_REQUIRED is true or a NATS_TLS_* file is set.
 */
export function natsConnectionOptions(settings: NatsConnectionSettings): NatsConnectionOptions {
  const options: NatsConnectionOptions = { servers: settings.NATS_URL };
  const credsFile = settings.NATS_CREDS_FILE;
  // Read at every (re)connect: a refreshed user JWT (they expire) is used without a restart.
  if (credsFile) options.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  else if (settings.NATS_NKEY_SEED_FILE)
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(userSeed(settings)));
  else if (settings.NATS_USER) Object.assign(options, { user: settings.NATS_USER, pass: settings.NATS_PASSWORD });
  else if (settings.NATS_TOKEN) options.token = settings.NATS_TOKEN;
  if (tlsRequired(settings)) {
    options.tls = {
      ...(settings.NATS_TLS_CA_FILE ? { caFile: settings.NATS_TLS_CA_FILE } : {}),
      ...(settings.NATS_TLS_CERT_FILE ? { certFile: settings.NATS_TLS_CERT_FILE } : {}),
      ...(settings.NATS_TLS_KEY_FILE ? { keyFile: settings.NATS_TLS_KEY_FILE } : {}),
    };
  }
  const identity = natsIdentity(settings);
  if (identity !== undefined) options.inboxPrefix = inboxPrefixFor(identity);
  return options;
}

/**
 * Connects with natsConnectionOptions(settings) and `extra` (name, reconnect policy…); a
 * failure becomes a MessagingUnavailableError saying what to fix (explainConnectFailure).
 */
export async function connectNats(
  settings: NatsConnectionSettings,
  extra: Omit<ConnectionOptions, keyof NatsConnectionOptions> = {},
): Promise<NatsConnection> {
  try {
    return await connect({ ...extra, ...natsConnectionOptions(settings) });
  } catch (err) {
    throw explainConnectFailure(err, settings);
  }
}

function userSeed(settings: NatsConnectionSettings): string | undefined {
  if (settings.NATS_CREDS_FILE) return parseCredsFile(readFileSync(settings.NATS_CREDS_FILE, 'utf8')).seed;
  if (settings.NATS_NKEY_SEED_FILE) return parseNkeySeedFile(readFileSync(settings.NATS_NKEY_SEED_FILE, 'utf8'));
  return undefined;
}
