import { Metadata, MetaFile, Root, Snapshot, Timestamp, type Targets } from '@tufjs/models';
import { createHash } from 'node:crypto';
import { ReleaseError, ReleaseErrorCode } from './errors';
import {
  OnlineRoles,
  signBytes,
  TufRoles,
  type TufKeySet,
  type TufOnlineKeySet,
  type TufRole,
  type TufSigningKey,
} from './tuf-keys';

/** Any top-level TUF metadata. */
export type AnyMetadata = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;

/** How long newly signed metadata stays valid, per role, in milliseconds from now. Negative = already expired (tests). */
export type ExpiryPolicy = Partial<Record<TufRole, number>>;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Default validity, split as TUF recommends: the offline roles (root, targets) last a year; the
 * online roles are short so a frozen mirror is noticed within a day, and the control plane
 * re-signs them on a schedule (`TufRepositoryWriter.refreshOnline`, every 6 hours by default).
 */
export const DEFAULT_EXPIRY_MS: Readonly<Record<TufRole, number>> = {
  root: 365 * DAY_MS,
  targets: 365 * DAY_MS,
  snapshot: 7 * DAY_MS,
  timestamp: 1 * DAY_MS,
};

/** Renew root (as version N+1, same keys) when it expires sooner than this. */
export const ROOT_RENEW_BEFORE_MS = 30 * DAY_MS;

/** TUF `expires` value (UTC, second precision) for `now + ms`. */
export const expiresAfter = (now: Date, ms: number): string =>
  new Date(now.getTime() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Expiry for a role, from the policy or the default. */
export const expiryFor = (role: TufRole, now: Date, policy: ExpiryPolicy = {}): string =>
  expiresAfter(now, policy[role] ?? DEFAULT_EXPIRY_MS[role]);

/** Replaces all signatures of `metadata` with one made by `key`. */
export function signMetadata(metadata: AnyMetadata, key: TufSigningKey): void {
  metadata.sign((data) => signBytes(key, data), false);
}

/** The exact bytes uploaded for a metadata file (hashes in snapshot/timestamp refer to these bytes). */
export const serializeMetadata = (metadata: AnyMetadata): Buffer =>
  Buffer.from(`${JSON.stringify(metadata.toJSON(), null, 1)}\n`);

/** sha256 hex of bytes. */
export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A snapshot/timestamp entry pinning version, length and sha256 of a metadata file. */
export const metaFileFor = (version: number, bytes: Buffer): MetaFile =>
  new MetaFile({ version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } });

/** Builds and signs root metadata trusting the key set's four keys (threshold 1, consistent snapshots on). */
export function buildRoot(keySet: TufKeySet, version: number, expires: string): Metadata<Root> {
  // Without explicit roles, Root starts every top-level role with no keys and threshold 1.
  const signed = new Root({ version, specVersion: '', expires, consistentSnapshot: true });
  for (const role of TufRoles) signed.addKey(keySet.keys[role].publicKey, role);
  const root = new Metadata(signed);
  signMetadata(root, keySet.keys.root);
  return root;
}

/** Builds and signs snapshot metadata pinning targets.json. */
export function buildSnapshot(
  keySet: TufKeySet | TufOnlineKeySet,
  version: number,
  expires: string,
  targetsMeta: MetaFile,
): Metadata<Snapshot> {
  const snapshot = new Metadata(
    new Snapshot({ version, specVersion: '', expires, meta: { 'targets.json': targetsMeta } }),
  );
  signMetadata(snapshot, keySet.keys.snapshot);
  return snapshot;
}

/** Builds and signs timestamp metadata pinning snapshot.json. */
export function buildTimestamp(
  keySet: TufKeySet | TufOnlineKeySet,
  version: number,
  expires: string,
  snapshotMeta: MetaFile,
): Metadata<Timestamp> {
  const timestamp = new Metadata(new Timestamp({ version, specVersion: '', expires, snapshotMeta }));
  signMetadata(timestamp, keySet.keys.timestamp);
  return timestamp;
}

/** Throws unless the online keys are the keys the root trusts for snapshot and timestamp. */
export function assertOnlineKeysMatchRoot(root: Metadata<Root>, keySet: TufOnlineKeySet, component: string): void {
  const wrong = OnlineRoles.filter((role) => !root.signed.roles[role]?.keyIDs.includes(keySet.keys[role].keyId));
  if (wrong.length > 0) {
    throw new ReleaseError(
      ReleaseErrorCode.KeysDoNotMatchRoot,
      `the online ${wrong.join(', ')} key(s) are not trusted by the root of component ${component} (root v${root.signed.version}); give the control plane the online key file written together with this component's key file`,
    );
  }
}

/** Throws unless every role's key in the key set is a key the root trusts for that role. */
export function assertKeysMatchRoot(root: Metadata<Root>, keySet: TufKeySet, component: string): void {
  const wrong = TufRoles.filter((role) => !root.signed.roles[role]?.keyIDs.includes(keySet.keys[role].keyId));
  if (wrong.length > 0) {
    throw new ReleaseError(
      ReleaseErrorCode.KeysDoNotMatchRoot,
      `the key file's ${wrong.join(', ')} key(s) are not trusted by the root of component ${component}; publish with the key file that created this component (root v${root.signed.version})`,
    );
  }
}
