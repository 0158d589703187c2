import { Metadata, MetadataKind, type MetaFile, type Root, type Targets } from '@tufjs/models';
import { ReleaseError, ReleaseErrorCode } from './errors';
import type { TufMetadataBucket, TufRepositoryState } from './tuf-metadata-bucket';
import { TufRoles, type TufRole } from './tuf-keys';

/** Versions a repository must not fall below, per role (what the verifier's owner last signed or saw). */
export type TufVersionFloor = Partial<Record<TufRole, number>>;

/**
 * Checks a component's metadata in the bucket before anything re-signs it: the root chain from
 * a trusted root, every role's signature by the keys its root names, each pin (version, length,
 * sha256) from timestamp to snapshot to targets, and versions against a floor. Expiry is left
 * out on purpose: re-signing expired online metadata is what a refresh is for.
 */
export class TufRepositoryVerifier {
  constructor(private readonly bucket: TufMetadataBucket) {}

  /**
   * Follows `N.root.json` from `trusted` up to the root the state carries, each version signed
   * by the root keys of the one before and by its own; returns that root. Without `trusted`,
   * the bucket's `1.root.json` starts the chain (trust on first use of the bucket).
   */
  async verifyRootChain(current: Metadata<Root>, trusted?: Buffer): Promise<Metadata<Root>> {
    let root = trusted ? this.parseTrusted(trusted) : await this.bucket.readRoot(1);
    if (!root) throw this.untrusted('1.root.json is missing');
    if (!trusted) this.check(() => root!.verifyDelegate(MetadataKind.Root, root!), '1.root.json is not self-signed');
    if (root.signed.version > current.signed.version)
      throw this.untrusted(
        `root.json is version ${current.signed.version}, older than the trusted root (version ${root.signed.version})`,
      );
    while (root.signed.version < current.signed.version) {
      const name = `${root.signed.version + 1}.root.json`;
      const next = await this.bucket.readRoot(root.signed.version + 1);
      if (!next) throw this.untrusted(`${name} is missing`);
      const previous = root;
      this.check(() => previous.verifyDelegate(MetadataKind.Root, next), `${name} is not signed by the root before it`);
      this.check(() => next.verifyDelegate(MetadataKind.Root, next), `${name} is not signed by its own root keys`);
      if (next.signed.version !== previous.signed.version + 1)
        throw this.untrusted(`${name} says it is version ${next.signed.version}`);
      root = next;
    }
    if (!root.signed.equals(current.signed))
      throw this.untrusted(`root.json differs from ${current.signed.version}.root.json of the chain`);
    return root;
  }

  /** The first reason the state's targets, snapshot and timestamp do not chain up under `root`, or undefined. */
  inconsistency(state: TufRepositoryState, root: Metadata<Root> = state.root): string | undefined {
    const problems: Array<[() => void, string]> = [
      [
        () => root.verifyDelegate(MetadataKind.Targets, state.targets),
        `${state.targets.signed.version}.targets.json is not signed by the targets key of root v${root.signed.version}`,
      ],
      [
        () => root.verifyDelegate(MetadataKind.Snapshot, state.snapshot),
        `${state.snapshot.signed.version}.snapshot.json is not signed by the snapshot key of root v${root.signed.version}`,
      ],
      [
        () => root.verifyDelegate(MetadataKind.Timestamp, state.timestamp),
        `timestamp.json is not signed by the timestamp key of root v${root.signed.version}`,
      ],
      [
        () => pinned(state.snapshot.signed.meta['targets.json'], state.targets.signed.version, state.targetsBytes),
        `${state.targets.signed.version}.targets.json is not the targets ${state.snapshot.signed.version}.snapshot.json pins (version, length or sha256 differ)`,
      ],
      [
        () => pinned(state.timestamp.signed.snapshotMeta, state.snapshot.signed.version, state.snapshotBytes),
        `${state.snapshot.signed.version}.snapshot.json is not the snapshot timestamp.json pins (version, length or sha256 differ)`,
      ],
    ];
    return problems.find(([verify]) => !succeeds(verify))?.[1];
  }

  /** Throws unless `N.targets.json` says it is version N and the targets key of `root` signed it. */
  assertTargets(targets: Metadata<Targets>, version: number, root: Metadata<Root>): void {
    if (targets.signed.version !== version)
      throw this.untrusted(`${version}.targets.json says it is version ${targets.signed.version}`);
    this.check(
      () => root.verifyDelegate(MetadataKind.Targets, targets),
      `${version}.targets.json is not signed by the targets key of root v${root.signed.version}`,
    );
  }

  /** Throws unless the state chains up under `root` and no role's version is below the floor. */
  assertTrusted(state: TufRepositoryState, root: Metadata<Root>, floor: TufVersionFloor = {}): void {
    const problem = this.inconsistency(state, root);
    if (problem) throw this.untrusted(problem);
    const behind = TufRoles.filter((role) => state[role].signed.version < (floor[role] ?? 0));
    if (behind.length > 0)
      throw this.untrusted(
        `${behind.map((role) => `${role} is version ${state[role].signed.version}, below version ${floor[role]} signed or seen before`).join('; ')} (older metadata was put back)`,
      );
  }

  /** A ReleaseError that names the bucket prefix and what to do. */
  untrusted(detail: string, cause?: unknown): ReleaseError {
    return new ReleaseError(
      ReleaseErrorCode.RepositoryUntrusted,
      `TUF metadata of component ${this.bucket.component} under ${this.bucket.prefix} does not verify: ${detail}. Nothing was re-signed; find out who wrote to the bucket, then restore the prefix from a backup or publish again with the key file`,
      { cause },
    );
  }

  private parseTrusted(bytes: Buffer): Metadata<Root> {
    try {
      return Metadata.fromJSON(
        MetadataKind.Root,
        JSON.parse(bytes.toString('utf8')) as Parameters<typeof Metadata.fromJSON>[1],
      );
    } catch (err) {
      throw this.untrusted(`the trusted root cannot be parsed (${(err as Error).message})`, err);
    }
  }

  private check(verify: () => void, detail: string): void {
    if (!succeeds(verify)) throw this.untrusted(detail);
  }
}

const succeeds = (fn: () => void): boolean => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

/** Throws unless `meta` pins exactly this version and these bytes (sha256 required). */
function pinned(meta: MetaFile | undefined, version: number, bytes: Buffer): void {
  if (!meta || meta.version !== version || !meta.hashes?.sha256) throw new Error('not pinned');
  meta.verify(bytes);
}
