import { canonicalize } from '@tufjs/canonical-json';
import { Key, Signature } from '@tufjs/models';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ReleaseError, ReleaseErrorCode } from './errors';
import { isSealedKeyFile, openKeyFileText, sealKeyFileText } from './key-file-seal';

/** The four top-level TUF roles. */
export const TufRoles = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TufRole = (typeof TufRoles)[number];

/**
 * Roles whose keys stay offline with the operator (TUF's split, as PEP 458 runs it): root and
 * targets sign rarely and by hand.
 */
export const OfflineRoles = ['root', 'targets'] as const;
/** Roles whose keys the control plane holds to re-sign metadata on a schedule. */
export const OnlineRoles = ['snapshot', 'timestamp'] as const;
export type OnlineRole = (typeof OnlineRoles)[number];

/** File name `lockstep keys init` writes into its output directory. */
export const KEY_FILE_NAME = 'lockstep-tuf-keys.json';
/** File name of the online keys (snapshot, timestamp) `lockstep keys init` writes for the control plane. */
export const ONLINE_KEY_FILE_NAME = 'lockstep-tuf-online-keys.json';

const KEY_FILE_FORMAT = 'lockstep-tuf-keys/v1';
const ONLINE_KEY_FILE_FORMAT = 'lockstep-tuf-online-keys/v1';

/** One Ed25519 signing key. */
export interface TufSigningKey {
  /** sha256 hex of the canonical JSON of the public key object, as TUF requires. */
  readonly keyId: string;
  /** The public half as TUF metadata carries it (`keytype`/`scheme` ed25519, `keyval.public` hex). */
  readonly publicKey: Key;
  /** The private half. */
  readonly privateKey: KeyObject;
}

/**
 * The keys of one publisher: one Ed25519 key per top-level role, threshold 1.
 * Separate keys cost nothing now and let the timestamp key move to an online signer later
 * without re-keying root; all four sit in the same key file today.
 */
export interface TufKeySet {
  /** When the set was generated (ISO 8601). */
  readonly createdAt: string;
  /** The signing key of each role. */
  readonly keys: Readonly<Record<TufRole, TufSigningKey>>;
}

/** The online half of a key set: what the control plane needs to keep metadata fresh. */
export interface TufOnlineKeySet {
  /** When the set was generated (ISO 8601). */
  readonly createdAt: string;
  /** The snapshot and timestamp signing keys. */
  readonly keys: Readonly<Record<OnlineRole, TufSigningKey>>;
}

/** Computes the TUF key id: sha256 hex of the canonical JSON of `{keytype, scheme, keyval}`. */
export const keyIdOf = (publicKey: Pick<Key, 'toJSON'>): string =>
  createHash('sha256').update(canonicalize(publicKey.toJSON())).digest('hex');

const rawPublicHex = (publicKey: KeyObject): string =>
  Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');

function signingKeyFrom(privateKey: KeyObject): TufSigningKey {
  const anonymous = new Key({
    keyID: '',
    keyType: 'ed25519',
    scheme: 'ed25519',
    keyVal: { public: rawPublicHex(createPublicKey(privateKey)) },
  });
  const keyId = keyIdOf(anonymous);
  const publicKey = new Key({ keyID: keyId, keyType: 'ed25519', scheme: 'ed25519', keyVal: anonymous.keyVal });
  return { keyId, publicKey, privateKey };
}

/** Generates one fresh Ed25519 signing key (also used by tests to forge signatures). */
export function generateSigningKey(): TufSigningKey {
  return signingKeyFrom(generateKeyPairSync('ed25519').privateKey);
}

/** Generates a key set for a new publisher: one Ed25519 key per top-level role. */
export function generateKeySet(): TufKeySet {
  const keys = Object.fromEntries(TufRoles.map((role) => [role, generateSigningKey()])) as Record<
    TufRole,
    TufSigningKey
  >;
  return { createdAt: new Date().toISOString(), keys };
}

/** The same key set with a fresh key for one role (what `lockstep keys rotate --role R` signs with next). */
export function withNewKey(keySet: TufKeySet, role: TufRole): TufKeySet {
  return { createdAt: new Date().toISOString(), keys: { ...keySet.keys, [role]: generateSigningKey() } };
}

/** Signs bytes with a key and returns the TUF signature (hex). */
export const signBytes = (key: TufSigningKey, data: Buffer): Signature =>
  new Signature({ keyID: key.keyId, sig: sign(null, data, key.privateKey).toString('hex') });

const KeyEntry = z.object({
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  public: z.string().regex(/^[0-9a-f]{64}$/),
  private: z.string().includes('PRIVATE KEY'),
});
const KeyFile = z.object({
  format: z.literal(KEY_FILE_FORMAT),
  createdAt: z.string(),
  keys: z.object({ root: KeyEntry, targets: KeyEntry, snapshot: KeyEntry, timestamp: KeyEntry }),
});
type KeyFile = z.infer<typeof KeyFile>;
const OnlineKeyFile = z.object({
  format: z.literal(ONLINE_KEY_FILE_FORMAT),
  createdAt: z.string(),
  keys: z.object({ snapshot: KeyEntry, timestamp: KeyEntry }),
});
type KeyEntry = z.infer<typeof KeyEntry>;

const entryOf = (k: TufSigningKey): KeyEntry => ({
  keyid: k.keyId,
  keytype: 'ed25519',
  scheme: 'ed25519',
  public: k.publicKey.keyVal.public,
  private: k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
});

/** Serialises a key set to the key file JSON (private keys as PKCS#8 PEM). Treat the result as a secret. */
export function serializeKeySet(keySet: TufKeySet): string {
  const keys = Object.fromEntries(TufRoles.map((role) => [role, entryOf(keySet.keys[role])]));
  const file: KeyFile = { format: KEY_FILE_FORMAT, createdAt: keySet.createdAt, keys: keys as KeyFile['keys'] };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Serialises the online keys (snapshot, timestamp) of a key set: the file the control plane
 * reads as LOCKSTEP_TUF_ONLINE_KEYS(_FILE). It holds no root or targets key.
 */
export function serializeOnlineKeySet(keySet: TufKeySet | TufOnlineKeySet): string {
  const file: z.infer<typeof OnlineKeyFile> = {
    format: ONLINE_KEY_FILE_FORMAT,
    createdAt: keySet.createdAt,
    keys: { snapshot: entryOf(keySet.keys.snapshot), timestamp: entryOf(keySet.keys.timestamp) },
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Parses key file JSON, checking every key id and that each private key matches its public key. */
export function parseKeySet(json: string, source = 'key file'): TufKeySet {
  let parsed: KeyFile;
  try {
    parsed = KeyFile.parse(JSON.parse(json));
  } catch (err) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFileInvalid,
      `${source} is not a Lockstep TUF key file (${(err as Error).message}); create one with \`lockstep keys init\``,
      { cause: err },
    );
  }
  const keys = Object.fromEntries(TufRoles.map((role) => [role, keyFromEntry(parsed.keys[role], role, source)]));
  return { createdAt: parsed.createdAt, keys: keys as Record<TufRole, TufSigningKey> };
}

/** Parses the online key file (`lockstep-tuf-online-keys.json`), checking each key like parseKeySet. */
export function parseOnlineKeySet(json: string, source = 'online key file'): TufOnlineKeySet {
  let parsed: z.infer<typeof OnlineKeyFile>;
  try {
    parsed = OnlineKeyFile.parse(JSON.parse(json));
  } catch (err) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFileInvalid,
      `${source} is not a Lockstep online key file (${(err as Error).message}); give the control plane the ${ONLINE_KEY_FILE_NAME} that \`lockstep keys init\` wrote`,
      { cause: err },
    );
  }
  return {
    createdAt: parsed.createdAt,
    keys: {
      snapshot: keyFromEntry(parsed.keys.snapshot, 'snapshot', source),
      timestamp: keyFromEntry(parsed.keys.timestamp, 'timestamp', source),
    },
  };
}

function keyFromEntry(entry: KeyEntry, role: TufRole, source: string): TufSigningKey {
  let key: TufSigningKey;
  try {
    key = signingKeyFrom(createPrivateKey(entry.private));
  } catch (err) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFileInvalid,
      `${source}: the ${role} private key cannot be read; restore the key file from your backup`,
      { cause: err },
    );
  }
  const probe = Buffer.from('lockstep');
  const selfCheck = verify(null, probe, createPublicKey(key.privateKey), Buffer.from(signBytes(key, probe).sig, 'hex'));
  if (key.keyId !== entry.keyid || key.publicKey.keyVal.public !== entry.public || !selfCheck) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFileInvalid,
      `${source}: the ${role} key id or public key does not match its private key; the file was edited or damaged, restore it from your backup`,
    );
  }
  return key;
}

/**
 * Writes the key set as `<dir>/lockstep-tuf-keys.json` with mode 0600 (directory created 0700),
 * and its online half (snapshot, timestamp) as `<dir>/lockstep-tuf-online-keys.json` for the
 * control plane.
 * Refuses to replace an existing key file unless `overwrite` is set: losing the keys that
 * signed a component's root means clients must re-pin a new root.
 */
export async function writeKeyFile(
  dir: string,
  keySet: TufKeySet,
  options: { overwrite?: boolean; passphrase?: string } = {},
): Promise<string> {
  const path = join(dir, KEY_FILE_NAME);
  const plain = serializeKeySet(keySet);
  const text = options.passphrase === undefined ? plain : sealKeyFileText(plain, options.passphrase);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, text, { mode: 0o600, flag: options.overwrite ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ReleaseError(
        ReleaseErrorCode.KeyFileExists,
        `${path} already exists; keep using it, or move it away first if you really mean to create new keys (clients would have to re-pin the new root)`,
        { cause: err },
      );
    }
    throw err;
  }
  await chmod(path, 0o600);
  const onlinePath = join(dir, ONLINE_KEY_FILE_NAME);
  await writeFile(onlinePath, serializeOnlineKeySet(keySet), { mode: 0o600 });
  await chmod(onlinePath, 0o600);
  return path;
}

/**
 * Stages a rotated key set beside the current key file as `<path>.next` (encrypted like it);
 * `commit()` then keeps the old file as `<path>.replaced-<time>`, moves the new one into place
 * and rewrites the online key file next to it. Stage, change the repositories, then commit: a
 * failure in between leaves both key sets on disk.
 */
export async function stageKeyFile(
  path: string,
  keySet: TufKeySet,
  passphrase: string | undefined,
): Promise<{ nextPath: string; commit(): Promise<{ replacedPath: string; onlinePath: string }> }> {
  const nextPath = `${path}.next`;
  const plain = serializeKeySet(keySet);
  await writeFile(nextPath, passphrase === undefined ? plain : sealKeyFileText(plain, passphrase), { mode: 0o600 });
  return {
    nextPath,
    async commit() {
      const replacedPath = `${path}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(path, replacedPath);
      await rename(nextPath, path);
      const onlinePath = join(dirname(path), ONLINE_KEY_FILE_NAME);
      await writeFile(onlinePath, serializeOnlineKeySet(keySet), { mode: 0o600 });
      await chmod(onlinePath, 0o600);
      return { replacedPath, onlinePath };
    },
  };
}

/** Reads and checks a key file written by writeKeyFile, decrypting it with the passphrase when it is encrypted. */
export async function readKeyFile(path: string, passphrase?: string): Promise<TufKeySet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFileInvalid,
      `cannot read key file ${path} (${(err as Error).message}); pass the file \`lockstep keys init\` wrote`,
      { cause: err },
    );
  }
  return parseKeySet(isSealedKeyFile(text) ? openKeyFileText(text, passphrase, path) : text, path);
}

/**
 * Backs `lockstep keys init [--out DIR]`: generates a key set and writes it to DIR, encrypted
 * with the passphrase when one is given; `onlinePath` is the (unencrypted) file to give the
 * control plane (LOCKSTEP_TUF_ONLINE_KEYS_FILE).
 */
export async function initKeyFile(
  dir: string,
  options: { passphrase?: string } = {},
): Promise<{ path: string; onlinePath: string; keySet: TufKeySet }> {
  const keySet = generateKeySet();
  const path = await writeKeyFile(dir, keySet, options);
  return { path, onlinePath: join(dir, ONLINE_KEY_FILE_NAME), keySet };
}
