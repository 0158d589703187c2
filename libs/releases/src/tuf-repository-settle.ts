import type { MetaFile } from '@tufjs/models';
import { ReleaseError, ReleaseErrorCode } from './errors';
import { TufRoles, type TufKeySet, type TufOnlineKeySet } from './tuf-keys';
import type { NewestVersions, TufMetadataBucket, TufRepositoryState } from './tuf-metadata-bucket';
import { TufRepositoryVerifier, type TufVersionFloor } from './tuf-repository-verifier';
import {
  assertOnlineKeysMatchRoot,
  buildSnapshot,
  buildTimestamp,
  expiryFor,
  metaFileFor,
  type ExpiryPolicy,
} from './tuf-signing';

/**
 * Run by every writer after it wrote timestamp.json: publish (offline keys) and the
 * checker's refresh (online keys) share no lock and S3 has no compare-and-swap every server
 * supports, so each reads back what is now current. When timestamp → snapshot → targets do
 * not chain up, or the newest `N.targets.json`, `N.snapshot.json` or `N.timestamp.json` in the
 * listing is newer than what is current (the other writer's timestamp or snapshot landed over
 * ours, or ours over theirs), it signs a snapshot of the newest targets (after
 * checking the offline targets signature) and a new timestamp, and looks again. Whichever
 * writer writes timestamp.json last then sees its own write and repairs it if needed, so in
 * any interleaving the repository ends up verifying with the newest release set. Signatures
 * are checked under the root chained from `trustedRoot` (default: the bucket's 1.root.json).
 * The listing is not trusted to be whole: a bucket writer may put back older files and delete
 * newer ones, so neither the state it returns nor the targets a repair pins may be below
 * `floor` (the writer's own versions and what it trusted before); that is refused as untrusted.
 */
export async function settleRepository(
  bucket: TufMetadataBucket,
  keys: TufKeySet | TufOnlineKeySet,
  policy: ExpiryPolicy | undefined,
  clock: () => Date,
  { trustedRoot, floor = {} }: SettleOptions = {},
): Promise<TufRepositoryState> {
  const verifier = new TufRepositoryVerifier(bucket);
  for (let attempt = 1; ; attempt++) {
    const state = await bucket.load();
    if (!state) throw busyError(bucket.component, 'its metadata was removed');
    // root.json may have changed since the writer read it: follow the chain again
    const root = await verifier.verifyRootChain(state.root, trustedRoot);
    const newest = await bucket.newestVersions();
    const problem = verifier.inconsistency(state, root) ?? behindNewest(state, newest);
    if (!problem) {
      // consistent, but older than what this writer wrote or trusted: files were put back
      verifier.assertTrusted(state, root, floor);
      await bucket.pruneTimestampCopies(state.timestamp.signed.version);
      return state;
    }
    if (attempt > MAX_SETTLE_REPAIRS)
      throw busyError(bucket.component, `still after ${MAX_SETTLE_REPAIRS} repairs: ${problem}`);
    // the newest targets left in the listing is what the repair would pin: never one below the floor
    if (newest.targets < (floor.targets ?? 0))
      throw verifier.untrusted(
        `${problem}, but the newest targets in the bucket is version ${newest.targets}, below version ${floor.targets} signed or seen before (newer targets were removed or older metadata was put back)`,
      );
    assertOnlineKeysMatchRoot(root, keys, bucket.component);
    const { targets, targetsBytes } = await bucket.readTargets(newest.targets);
    verifier.assertTargets(targets, newest.targets, root);
    const meta = metaFileFor(targets.signed.version, targetsBytes);
    await writeSnapshotAndTimestamp(bucket, keys, nextVersions(state, newest, floor), meta, clock(), policy);
  }
}

/** How a writer's settle step checks what it reads back. */
export interface SettleOptions {
  /** The root the chain is followed from; default the bucket's 1.root.json. */
  trustedRoot?: Buffer;
  /**
   * Versions the repository must not fall below: what the writer itself wrote and what it
   * verified or trusted before. Settling refuses (RELEASE_REPOSITORY_UNTRUSTED) to accept or
   * to re-sign anything older, and repairs with snapshot and timestamp versions above it.
   */
  floor?: TufVersionFloor;
}

/** Signs and writes `N.snapshot.json` pinning `targetsMeta`, then a timestamp pinning it. */
export async function writeSnapshotAndTimestamp(
  bucket: TufMetadataBucket,
  keys: TufKeySet | TufOnlineKeySet,
  versions: NewestVersions,
  targetsMeta: MetaFile,
  now: Date,
  policy: ExpiryPolicy | undefined,
): Promise<void> {
  const snapshot = buildSnapshot(keys, versions.snapshot, expiryFor('snapshot', now, policy), targetsMeta);
  const snapshotBytes = await bucket.writeVersioned(snapshot);
  await bucket.writeTimestamp(
    buildTimestamp(
      keys,
      versions.timestamp,
      expiryFor('timestamp', now, policy),
      metaFileFor(snapshot.signed.version, snapshotBytes),
    ),
  );
}

/**
 * The next version of each versioned role: above what is current, anything in the listing and
 * the floor (versions this writer wrote or saw, whose files may have been removed), so no
 * writer reuses a number.
 */
export const nextVersions = (
  state: TufRepositoryState | undefined,
  newest: NewestVersions,
  floor: TufVersionFloor = {},
): NewestVersions => ({
  targets: Math.max(state?.targets.signed.version ?? 0, newest.targets, floor.targets ?? 0) + 1,
  snapshot: Math.max(state?.snapshot.signed.version ?? 0, newest.snapshot, floor.snapshot ?? 0) + 1,
  timestamp: Math.max(state?.timestamp.signed.version ?? 0, newest.timestamp, floor.timestamp ?? 0) + 1,
});

/** The highest version of each role over several floors. */
export const higherFloor = (...floors: TufVersionFloor[]): TufVersionFloor =>
  Object.fromEntries(TufRoles.map((role) => [role, Math.max(0, ...floors.map((f) => f[role] ?? 0))]));

/** Why the current chain is behind a file another writer put in the bucket, if it is. */
const behindNewest = (state: TufRepositoryState, newest: NewestVersions): string | undefined =>
  (['targets', 'snapshot', 'timestamp'] as const)
    .filter((role) => state[role].signed.version < newest[role])
    .map(
      (role) =>
        `${newest[role]}.${role}.json is newer than the current ${role} (version ${state[role].signed.version})`,
    )[0];

/** Repairs one writer makes after its own write before it gives up (each one means the other writer wrote again meanwhile). */
const MAX_SETTLE_REPAIRS = 5;

export const busyError = (component: string, what: string): ReleaseError =>
  new ReleaseError(
    ReleaseErrorCode.RepositoryBusy,
    `component ${component} changed while its metadata was being written (${what}); another publish or refresh is under way, so this one stops and the next one starts from the new metadata`,
  );
