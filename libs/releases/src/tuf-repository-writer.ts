import { Metadata, TargetFile, Targets, type Root } from '@tufjs/models';
import { MAX_OBJECT_BYTES, type ObjectStore } from '@lockstep/storage';
import { createHash } from 'node:crypto';
import type { Requirements } from '@lockstep/contracts';
import { readFile, stat } from 'node:fs/promises';
import { ReleaseError, ReleaseErrorCode } from './errors';
import {
  artifactKeyFor,
  assertChannel,
  assertComponentName,
  assertRequirements,
  assertVersionText,
  targetPathFor,
} from './release-layout';
import type { ReleaseTargetCustom } from './release-target-custom';
import { TufMetadataBucket, type TufRepositoryState } from './tuf-metadata-bucket';
import {
  busyError,
  higherFloor,
  nextVersions,
  settleRepository,
  writeSnapshotAndTimestamp,
} from './tuf-repository-settle';
import { TufRepositoryVerifier, type TufVersionFloor } from './tuf-repository-verifier';
import { signBytes, type OnlineRole, type TufKeySet, type TufOnlineKeySet, type TufRole } from './tuf-keys';
import {
  assertKeysMatchRoot,
  assertOnlineKeysMatchRoot,
  DEFAULT_EXPIRY_MS,
  buildRoot,
  buildSnapshot,
  buildTimestamp,
  expiryFor,
  metaFileFor,
  ROOT_RENEW_BEFORE_MS,
  sha256Hex,
  signMetadata,
  type ExpiryPolicy,
} from './tuf-signing';

/** What `lockstep release publish` hands to the writer. */
export interface PublishReleaseInput {
  /** Bucket to publish into. */
  store: ObjectStore;
  /** Component name (letters, digits, `.`, `_`, `-`). */
  component: string;
  /** The artifact bytes, or the path of a `.tar.gz` file; at most 16 MiB. */
  artifact: Buffer | string;
  /** Version text, already validated against the component's scheme by the caller. */
  version: string;
  /** stable, beta or alpha. */
  channel: string;
  /** Release fixes a security issue. */
  security?: boolean;
  /** Release breaks compatibility. */
  breaking?: boolean;
  /** Release is a hotfix. */
  hotfix?: boolean;
  /** Release notes (markdown). */
  notes?: string;
  /** What the release needs of other components (name → version range); signed into its metadata. */
  requires?: Requirements;
  /** The publisher's key set (`lockstep keys init`). */
  keys: TufKeySet;
  /** Validity of the metadata this publish signs; defaults to DEFAULT_EXPIRY_MS. */
  expiresInMs?: ExpiryPolicy;
}

/** Versions of the four metadata roles after a write. */
export interface TufVersions {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
}

/** What a publish did. */
export interface PublishReleaseResult {
  /** `published` when metadata changed; `unchanged` when this version was already published with the same bytes. */
  outcome: 'published' | 'unchanged';
  /** TUF target path, e.g. `api-1.2.3.tar.gz`. */
  targetPath: string;
  /** Object key of the artifact in the bucket. */
  artifactKey: string;
  /** sha256 hex of the artifact. */
  sha256: string;
  /** Artifact length in bytes. */
  length: number;
  /** Metadata versions now current. */
  versions: TufVersions;
}

/** Input of a refresh: re-sign current metadata with fresh expiry dates, adding nothing. */
export interface RefreshRepositoryInput {
  store: ObjectStore;
  component: string;
  keys: TufKeySet;
  expiresInMs?: ExpiryPolicy;
}

/** Input of an online refresh: re-sign timestamp (and snapshot when due) with the online keys only. */
export interface RefreshOnlineInput {
  store: ObjectStore;
  component: string;
  /** Snapshot and timestamp keys (LOCKSTEP_TUF_ONLINE_KEYS). */
  keys: TufOnlineKeySet;
  /** Validity of what this refresh signs; defaults to DEFAULT_EXPIRY_MS. */
  expiresInMs?: ExpiryPolicy;
  /** Re-sign the snapshot when it expires sooner than this; default half its validity. */
  snapshotRenewBeforeMs?: number;
  /** The root the refresher trusts (the component's pinned root); the chain is followed from it. Default: the bucket's 1.root.json. */
  trustedRoot?: Buffer;
  /** Versions the repository must not fall below (what the refresher signed or saw last): older metadata was put back, and is refused. */
  notBefore?: TufVersionFloor;
}

/** What an online refresh did. */
export interface RefreshOnlineResult {
  /** Roles re-signed: always `timestamp`, plus `snapshot` when it was due. */
  resigned: OnlineRole[];
  /** Metadata versions now current. */
  versions: TufVersions;
  /** Expiry of every role's current metadata after the refresh. */
  expires: TufExpiry;
}

/** Expiry of each top-level role's current metadata, with its version. */
export type TufExpiry = Record<TufRole, { version: number; expires: Date }>;

/**
 * Publishes releases into a component's TUF repository in the bucket. The artifact is
 * uploaded first, then root (when new or renewed), targets, snapshot, and timestamp last:
 * metadata files are versioned (consistent snapshots), so a reader sees either the old or
 * the new release set, never a mix. Publishes to one component must not run concurrently
 * (last writer wins); callers serialise them. A publish and the checker's online refresh may
 * overlap: every writer reads the repository back after its write and repairs it (`settle`).
 */
export class TufRepositoryWriter {
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Adds one release; idempotent for the same bytes, refuses the same version with other bytes. */
  async publish(input: PublishReleaseInput): Promise<PublishReleaseResult> {
    assertComponentName(input.component);
    assertVersionText(input.version);
    assertChannel(input.channel);
    if (input.requires !== undefined) assertRequirements(input.requires);
    const artifact = await readArtifact(input.artifact);
    const sha256 = sha256Hex(artifact);
    const targetPath = targetPathFor(input.component, input.version);
    const artifactKey = artifactKeyFor(input.component, input.version);
    const bucket = new TufMetadataBucket(input.store, input.component);
    const state = await bucket.load();
    if (state) assertKeysMatchRoot(state.root, input.keys, input.component);

    const existing = state?.targets.signed.targets[targetPath];
    if (state && existing) {
      if (existing.hashes.sha256 !== sha256 || existing.length !== artifact.length) {
        throw new ReleaseError(
          ReleaseErrorCode.VersionConflict,
          `${input.component} ${input.version} is already published with different bytes (sha256 ${existing.hashes.sha256}, ${existing.length} bytes; this artifact: ${sha256}, ${artifact.length} bytes). Published versions never change: publish a new version instead`,
        );
      }
      const signed = canonicalRequires((existing.custom as { requires?: Requirements } | undefined)?.requires);
      if (input.requires !== undefined && canonicalRequires(input.requires) !== signed) {
        throw new ReleaseError(
          ReleaseErrorCode.VersionConflict,
          `${input.component} ${input.version} is already published requiring ${signed}, not ${canonicalRequires(input.requires)}. Published versions never change: publish a new version with the requirements it needs`,
        );
      }
      // Repair a missing or altered artifact object; metadata stays as it is.
      const stored = await input.store.stat(artifactKey);
      const md5 = createHash('md5').update(artifact).digest('hex');
      if (stored?.size !== artifact.length || (/^[0-9a-f]{32}$/.test(stored.etag) && stored.etag !== md5))
        await input.store.put(artifactKey, artifact, 'application/gzip');
      return {
        outcome: 'unchanged',
        targetPath,
        artifactKey,
        sha256,
        length: artifact.length,
        versions: versionsOf(state),
      };
    }

    await input.store.put(artifactKey, artifact, 'application/gzip');
    const custom: ReleaseTargetCustom = {
      version: input.version,
      channel: input.channel,
      security: input.security ?? false,
      breaking: input.breaking ?? false,
      hotfix: input.hotfix ?? false,
      notes: input.notes ?? '',
      // Left out when empty, so a release without requirements signs the same metadata as before.
      ...(input.requires && Object.keys(input.requires).length ? { requires: input.requires } : {}),
    };
    const target = new TargetFile({
      path: targetPath,
      length: artifact.length,
      hashes: { sha256 },
      unrecognizedFields: { custom: { ...custom } },
    });
    const versions = await this.commit(bucket, state, input.keys, input.expiresInMs, {
      ...(state?.targets.signed.targets ?? {}),
      [targetPath]: target,
    });
    return { outcome: 'published', targetPath, artifactKey, sha256, length: artifact.length, versions };
  }

  /**
   * Re-signs targets, snapshot and timestamp with fresh expiry dates (and renews root when it
   * is close to expiry). Without an online refresher, run it (or publish) within the timestamp validity (see `expiryPolicyFor`).
   */
  async refresh(input: RefreshRepositoryInput): Promise<TufVersions> {
    assertComponentName(input.component);
    const bucket = new TufMetadataBucket(input.store, input.component);
    const state = await bucket.load();
    if (!state) {
      throw new ReleaseError(
        ReleaseErrorCode.RepositoryMissing,
        `component ${input.component} has no TUF metadata in s3://${input.store.bucket}/${bucket.prefix}; publish a release first`,
      );
    }
    assertKeysMatchRoot(state.root, input.keys, input.component);
    return this.commit(bucket, state, input.keys, input.expiresInMs, state.targets.signed.targets);
  }

  /**
   * Replaces one role's key in a component's repository: root N+1 names `next`'s keys (signed
   * by the new root key, and by the old one too when root itself rotates, so clients pinned to
   * root N follow), then targets, snapshot and timestamp are re-signed with `next`.
   */
  async rotate(input: {
    store: ObjectStore;
    component: string;
    current: TufKeySet;
    next: TufKeySet;
    expiresInMs?: ExpiryPolicy;
  }): Promise<TufVersions> {
    assertComponentName(input.component);
    const bucket = new TufMetadataBucket(input.store, input.component);
    const state = await this.loadOrThrow(bucket, input.store);
    assertKeysMatchRoot(state.root, input.current, input.component);
    const now = this.clock();
    const root = buildRoot(input.next, state.root.signed.version + 1, expiryFor('root', now, input.expiresInMs));
    if (input.current.keys.root.keyId !== input.next.keys.root.keyId)
      root.sign((data) => signBytes(input.current.keys.root, data), true);
    await bucket.writeRoot(root);
    return this.commit(bucket, { ...state, root }, input.next, input.expiresInMs, state.targets.signed.targets);
  }

  /**
   * Re-signs timestamp.json with the online timestamp key (new version, fresh expiry), and the
   * snapshot with the online snapshot key when it expires within `snapshotRenewBeforeMs`. Root
   * and targets are untouched: their keys stay offline. The control plane runs this on a
   * schedule well inside the timestamp's validity.
   */
  async refreshOnline(input: RefreshOnlineInput): Promise<RefreshOnlineResult> {
    assertComponentName(input.component);
    const bucket = new TufMetadataBucket(input.store, input.component);
    const state = await this.loadOrThrow(bucket, input.store);
    // Sign nothing the offline keys did not sign: a bucket writer must not get an edit or a
    // replayed older release set re-signed with fresh dates.
    const verifier = new TufRepositoryVerifier(bucket);
    verifier.assertTrusted(state, await verifier.verifyRootChain(state.root, input.trustedRoot), input.notBefore);
    assertOnlineKeysMatchRoot(state.root, input.keys, input.component);
    const now = this.clock();
    const renewBefore = input.snapshotRenewBeforeMs ?? (input.expiresInMs?.snapshot ?? DEFAULT_EXPIRY_MS.snapshot) / 2;
    const resigned: OnlineRole[] = [];
    let snapshot = state.snapshot;
    let snapshotBytes = state.snapshotBytes;
    const next = nextVersions(state, await bucket.newestVersions());
    const published = async () => (await bucket.timestampVersion()) !== state.timestamp.signed.version;
    const busy = () => busyError(input.component, 'timestamp.json has a new version');
    if (await published()) throw busy();
    if (new Date(snapshot.signed.expires).getTime() - now.getTime() < renewBefore) {
      snapshot = buildSnapshot(
        input.keys,
        next.snapshot,
        expiryFor('snapshot', now, input.expiresInMs),
        state.snapshot.signed.meta['targets.json'],
      );
      snapshotBytes = await bucket.writeVersioned(snapshot);
      resigned.push('snapshot');
    }
    const timestamp = buildTimestamp(
      input.keys,
      next.timestamp,
      expiryFor('timestamp', now, input.expiresInMs),
      metaFileFor(snapshot.signed.version, snapshotBytes),
    );
    // what settling must not go below: the floor given, what was verified above, and what this refresh wrote
    const settle = (written: TufVersionFloor) =>
      settleRepository(bucket, input.keys, input.expiresInMs, this.clock, {
        trustedRoot: input.trustedRoot,
        floor: higherFloor(input.notBefore ?? {}, versionsOf(state), written),
      });
    if (await published()) {
      // a publish went first: leave its timestamp, but repair what our snapshot may have overwritten
      if (resigned.length > 0) await settle({ snapshot: snapshot.signed.version });
      throw busy();
    }
    await bucket.writeTimestamp(timestamp);
    resigned.push('timestamp');
    const settled = await settle({ snapshot: snapshot.signed.version, timestamp: timestamp.signed.version });
    return { resigned, versions: versionsOf(settled), expires: expiryOf(settled) };
  }

  /** Expiry and version of each role's current metadata of a component. */
  async expiry(store: ObjectStore, component: string): Promise<TufExpiry> {
    assertComponentName(component);
    return expiryOf(await this.loadOrThrow(new TufMetadataBucket(store, component), store));
  }

  private async loadOrThrow(bucket: TufMetadataBucket, store: ObjectStore): Promise<TufRepositoryState> {
    const state = await bucket.load();
    if (!state) {
      throw new ReleaseError(
        ReleaseErrorCode.RepositoryMissing,
        `component ${bucket.component} has no TUF metadata in s3://${store.bucket}/${bucket.prefix}; publish a release first`,
      );
    }
    return state;
  }

  private async commit(
    bucket: TufMetadataBucket,
    state: TufRepositoryState | undefined,
    keys: TufKeySet,
    policy: ExpiryPolicy | undefined,
    targetFiles: Targets['targets'],
  ): Promise<TufVersions> {
    const now = this.clock();
    await this.currentRoot(bucket, state?.root, keys, now, policy);
    const next = nextVersions(state, await bucket.newestVersions());
    const targets = new Metadata(
      new Targets({
        version: next.targets,
        specVersion: '',
        expires: expiryFor('targets', now, policy),
        targets: targetFiles,
      }),
    );
    signMetadata(targets, keys.keys.targets);
    const targetsBytes = await bucket.writeVersioned(targets);
    await writeSnapshotAndTimestamp(bucket, keys, next, metaFileFor(targets.signed.version, targetsBytes), now, policy);
    // a repair may not pin targets below the ones this write signed (their file may have been removed)
    return versionsOf(await settleRepository(bucket, keys, policy, this.clock, { floor: next }));
  }

  /** Creates root v1 on first publish, or a root N+1 (same keys) when root N is about to expire. */
  private async currentRoot(
    bucket: TufMetadataBucket,
    root: Metadata<Root> | undefined,
    keys: TufKeySet,
    now: Date,
    policy: ExpiryPolicy | undefined,
  ): Promise<Metadata<Root>> {
    if (root && new Date(root.signed.expires).getTime() - now.getTime() > ROOT_RENEW_BEFORE_MS) return root;
    const next = buildRoot(keys, (root?.signed.version ?? 0) + 1, expiryFor('root', now, policy));
    await bucket.writeRoot(next);
    return next;
  }
}

const expiryOf = (state: TufRepositoryState): TufExpiry => {
  const of = (m: { signed: { version: number; expires: string } }) => ({
    version: m.signed.version,
    expires: new Date(m.signed.expires),
  });
  return {
    root: of(state.root),
    targets: of(state.targets),
    snapshot: of(state.snapshot),
    timestamp: of(state.timestamp),
  };
};

const versionsOf = (state: TufRepositoryState): TufVersions => ({
  root: state.root.signed.version,
  targets: state.targets.signed.version,
  snapshot: state.snapshot.signed.version,
  timestamp: state.timestamp.signed.version,
});

async function readArtifact(artifact: Buffer | string): Promise<Buffer> {
  const tooLarge = (size: number, what: string): ReleaseError =>
    new ReleaseError(
      ReleaseErrorCode.ArtifactTooLarge,
      `${what} is ${size} bytes; artifacts must be at most ${MAX_OBJECT_BYTES} bytes (16 MiB). Make the release smaller, e.g. leave data and caches out of the tarball`,
    );
  if (Buffer.isBuffer(artifact)) {
    if (artifact.length > MAX_OBJECT_BYTES) throw tooLarge(artifact.length, 'the artifact');
    return artifact;
  }
  try {
    const info = await stat(artifact);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_OBJECT_BYTES) throw tooLarge(info.size, artifact);
    return await readFile(artifact);
  } catch (err) {
    if (err instanceof ReleaseError) throw err;
    throw new ReleaseError(
      ReleaseErrorCode.ArtifactUnreadable,
      `cannot read artifact ${artifact} (${(err as Error).message}); pass the path of the release .tar.gz`,
      { cause: err },
    );
  }
}

/** Requirements as one comparable, readable string: `{"app":">=1.4","config":">=2.0.0"}`, `{}` for none. */
function canonicalRequires(requires: Requirements | undefined): string {
  return JSON.stringify(Object.fromEntries(Object.entries(requires ?? {}).sort(([a], [b]) => a.localeCompare(b))));
}
