import { Metadata, Snapshot, Targets } from '@tufjs/models';
import type { ObjectStore } from '@lockstep/storage';
import { ReleaseError, ReleaseErrorCode } from '../errors';
import { artifactKeyFor } from '../release-layout';
import { TufMetadataBucket, type TufRepositoryState } from '../tuf-metadata-bucket';
import type { TufKeySet, TufSigningKey } from '../tuf-keys';
import { buildRoot, buildSnapshot, buildTimestamp, metaFileFor, signMetadata } from '../tuf-signing';
import { TufRepositoryWriter, type PublishReleaseInput, type PublishReleaseResult } from '../tuf-repository-writer';

/**
 * Publishes a release for a test: stable channel, notes `notes VERSION`, and bytes that derive
 * from component and version (so publishing it twice is idempotent); `extras` override any of it.
 */
export function publishTestRelease(
  target: Pick<PublishReleaseInput, 'store' | 'keys' | 'component' | 'version'>,
  extras: Partial<PublishReleaseInput> = {},
): Promise<PublishReleaseResult> {
  return new TufRepositoryWriter().publish({
    ...target,
    artifact: Buffer.from(`${target.component} ${target.version} `.repeat(50)),
    channel: 'stable',
    notes: `notes ${target.version}`,
    ...extras,
  });
}

/*
 * Attacks on a published TUF repository, for tests of readers. Expired metadata needs no
 * fixture: publish with `expiresInMs: { timestamp: -60_000 }` (or targets / snapshot).
 */

/** Every metadata object of a component at one moment. */
export interface TufMetadataCapture {
  /** Object keys captured. */
  readonly keys: string[];
  /** Puts the bucket back to the captured metadata (a rollback / replay attack) and removes newer files. */
  restore(): Promise<void>;
}

/** Captures a component's metadata so a test can later roll the bucket back to it. */
export async function captureTufMetadata(store: ObjectStore, component: string): Promise<TufMetadataCapture> {
  const prefix = new TufMetadataBucket(store, component).prefix;
  const objects = new Map<string, Buffer>();
  for (const info of await store.list(prefix)) objects.set(info.key, await store.get(info.key));
  return {
    keys: [...objects.keys()],
    async restore() {
      for (const [key, bytes] of objects) await store.put(key, bytes, 'application/json');
      for (const info of await store.list(prefix)) if (!objects.has(info.key)) await store.remove(info.key);
    },
  };
}

/** Flips the bits of one byte of a published artifact in the bucket, keeping its length. */
export async function tamperArtifactByte(
  store: ObjectStore,
  component: string,
  version: string,
  offset = 0,
): Promise<void> {
  const key = artifactKeyFor(component, version);
  const bytes = Buffer.from(await store.get(key));
  bytes[offset % bytes.length] ^= 0xff;
  await store.put(key, bytes, 'application/gzip');
}

/**
 * Re-signs one role's current metadata with a key the root does not trust, keeping the rest
 * of the chain validly signed by the real keys (so only that role's signature is wrong).
 */
export async function resignRoleWithKey(
  store: ObjectStore,
  component: string,
  keys: TufKeySet,
  role: 'targets' | 'snapshot' | 'timestamp',
  foreignKey: TufSigningKey,
): Promise<void> {
  const bucket = new TufMetadataBucket(store, component);
  const state = await loadOrThrow(bucket);
  if (role === 'timestamp') {
    signMetadata(state.timestamp, foreignKey);
    await bucket.writeTimestamp(state.timestamp);
    return;
  }
  let snapshotBytes: Buffer;
  let snapshotVersion = state.snapshot.signed.version + 1;
  if (role === 'targets') {
    const t = state.targets.signed;
    const targets = new Metadata(
      new Targets({ version: t.version + 1, specVersion: t.specVersion, expires: t.expires, targets: t.targets }),
    );
    signMetadata(targets, foreignKey);
    const targetsBytes = await bucket.writeVersioned(targets);
    snapshotBytes = await bucket.writeVersioned(
      buildSnapshot(
        keys,
        snapshotVersion,
        state.snapshot.signed.expires,
        metaFileFor(targets.signed.version, targetsBytes),
      ),
    );
  } else {
    const s = state.snapshot.signed;
    const snapshot = new Metadata(
      new Snapshot({ version: snapshotVersion, specVersion: s.specVersion, expires: s.expires, meta: s.meta }),
    );
    signMetadata(snapshot, foreignKey);
    snapshotBytes = await bucket.writeVersioned(snapshot);
    snapshotVersion = snapshot.signed.version;
  }
  const ts = state.timestamp.signed;
  await bucket.writeTimestamp(
    buildTimestamp(keys, ts.version + 1, ts.expires, metaFileFor(snapshotVersion, snapshotBytes)),
  );
}

/**
 * Puts a root N+1 naming `foreign`'s keys, signed only by them, in place of the next root (and
 * as root.json): a root swap by someone who can write to the bucket but holds no root key.
 */
export async function forgeNextRoot(store: ObjectStore, component: string, foreign: TufKeySet): Promise<void> {
  const bucket = new TufMetadataBucket(store, component);
  const state = await loadOrThrow(bucket);
  await bucket.writeRoot(buildRoot(foreign, state.root.signed.version + 1, state.root.signed.expires));
}

async function loadOrThrow(bucket: TufMetadataBucket): Promise<TufRepositoryState> {
  const state = await bucket.load();
  if (!state)
    throw new ReleaseError(
      ReleaseErrorCode.RepositoryMissing,
      `component ${bucket.component} has no TUF metadata; publish first`,
    );
  return state;
}
