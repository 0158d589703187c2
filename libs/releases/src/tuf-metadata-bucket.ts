import { Metadata, MetadataKind, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { ObjectNotFoundError, type ObjectStore } from '@lockstep/storage';
import { ReleaseError, ReleaseErrorCode } from './errors';
import { tufPrefixFor } from './release-layout';
import { serializeMetadata, type AnyMetadata } from './tuf-signing';

/** A component's current TUF metadata as stored, with the exact bytes of each file. */
export interface TufRepositoryState {
  root: Metadata<Root>;
  targets: Metadata<Targets>;
  targetsBytes: Buffer;
  snapshot: Metadata<Snapshot>;
  snapshotBytes: Buffer;
  timestamp: Metadata<Timestamp>;
}

/** Highest version of each versioned metadata file in the bucket. */
export type NewestVersions = Record<'targets' | 'snapshot' | 'timestamp', number>;

const JSON_TYPE = 'application/json';

/**
 * Reads and writes one component's TUF metadata in the bucket (consistent snapshots:
 * `N.root.json` + `root.json`, `N.targets.json`, `N.snapshot.json`, `timestamp.json`).
 * Owns all metadata I/O; it does not sign or verify signatures.
 */
export class TufMetadataBucket {
  /** Prefix of the metadata objects, e.g. `components/api/tuf/`. */
  readonly prefix: string;

  constructor(
    readonly store: ObjectStore,
    readonly component: string,
    prefix?: string,
  ) {
    this.prefix = prefix ?? tufPrefixFor(component);
  }

  /** Object key of a metadata file name such as `3.targets.json`. */
  keyOf(fileName: string): string {
    return `${this.prefix}${fileName}`;
  }

  /** Reads the newest root.json bytes, or undefined when the component was never published. */
  async readRootBytes(): Promise<Buffer | undefined> {
    return this.readOptional('root.json');
  }

  /**
   * Loads the current metadata by following timestamp → snapshot → targets, or returns
   * undefined when the component has no metadata yet. A partial set is reported as corrupt.
   */
  async load(): Promise<TufRepositoryState | undefined> {
    const rootBytes = await this.readOptional('root.json');
    const timestampBytes = await this.readOptional('timestamp.json');
    if (!rootBytes && !timestampBytes) return undefined;
    if (!rootBytes || !timestampBytes) throw this.corrupt(`${rootBytes ? 'timestamp.json' : 'root.json'} is missing`);
    const root = this.parse(MetadataKind.Root, rootBytes, 'root.json');
    const timestamp = this.parse(MetadataKind.Timestamp, timestampBytes, 'timestamp.json');
    const snapshotName = `${timestamp.signed.snapshotMeta.version}.snapshot.json`;
    const snapshotBytes = await this.readRequired(snapshotName);
    const snapshot = this.parse(MetadataKind.Snapshot, snapshotBytes, snapshotName);
    const targetsMeta = snapshot.signed.meta['targets.json'];
    if (!targetsMeta) throw this.corrupt(`${snapshotName} does not list targets.json`);
    const targetsName = `${targetsMeta.version}.targets.json`;
    const targetsBytes = await this.readRequired(targetsName);
    const targets = this.parse(MetadataKind.Targets, targetsBytes, targetsName);
    return { root, targets, targetsBytes, snapshot, snapshotBytes, timestamp };
  }

  /** A root version `N.root.json` (the newest, `root.json`, without a version), or undefined when there is none. */
  async readRoot(version?: number): Promise<Metadata<Root> | undefined> {
    const name = version === undefined ? 'root.json' : `${version}.root.json`;
    const bytes = await this.readOptional(name);
    return bytes && this.parse(MetadataKind.Root, bytes, name);
  }

  /** A targets version `N.targets.json` with its exact bytes; reported as corrupt when it is missing. */
  async readTargets(version: number): Promise<{ targets: Metadata<Targets>; targetsBytes: Buffer }> {
    const name = `${version}.targets.json`;
    const targetsBytes = await this.readRequired(name);
    return { targets: this.parse(MetadataKind.Targets, targetsBytes, name), targetsBytes };
  }

  /**
   * Highest version of each versioned file present (0 when there is none), from the listing:
   * what another writer wrote after the timestamp this one read shows up here.
   */
  async newestVersions(): Promise<NewestVersions> {
    const newest: NewestVersions = { targets: 0, snapshot: 0, timestamp: 0 };
    for (const { key } of await this.store.list(this.prefix)) {
      const match = /^(\d+)\.(targets|snapshot|timestamp)\.json$/.exec(key.slice(this.prefix.length));
      const role = match?.[2] as keyof NewestVersions | undefined;
      if (role) newest[role] = Math.max(newest[role], Number(match![1]));
    }
    return newest;
  }

  /** Removes the `N.timestamp.json` copies below `version` (the newest copies keep the version high-water mark). */
  async pruneTimestampCopies(below: number): Promise<void> {
    for (const { key } of await this.store.list(this.prefix)) {
      const match = /^(\d+)\.timestamp\.json$/.exec(key.slice(this.prefix.length));
      if (match && Number(match[1]) < below) await this.store.remove(key);
    }
  }

  /** True when a metadata file exists (a versioned file about to be written means another writer got there first). */
  async exists(fileName: string): Promise<boolean> {
    return (await this.store.stat(this.keyOf(fileName))) !== undefined;
  }

  /** Version of the timestamp.json now in the bucket, or undefined when it cannot be read. */
  async timestampVersion(): Promise<number | undefined> {
    const bytes = await this.readOptional('timestamp.json');
    if (!bytes) return undefined;
    try {
      return (JSON.parse(bytes.toString('utf8')) as { signed?: { version?: number } }).signed?.version;
    } catch {
      return undefined;
    }
  }

  /** Writes a root version as `N.root.json`, then as `root.json`. */
  async writeRoot(root: Metadata<Root>): Promise<Buffer> {
    const bytes = serializeMetadata(root);
    await this.store.put(this.keyOf(`${root.signed.version}.root.json`), bytes, JSON_TYPE);
    await this.store.put(this.keyOf('root.json'), bytes, JSON_TYPE);
    return bytes;
  }

  /** Writes `N.targets.json` or `N.snapshot.json` and returns the bytes written. */
  async writeVersioned(metadata: Metadata<Targets> | Metadata<Snapshot>): Promise<Buffer> {
    const bytes = serializeMetadata(metadata);
    await this.store.put(this.keyOf(`${metadata.signed.version}.${metadata.signed.type}.json`), bytes, JSON_TYPE);
    return bytes;
  }

  /**
   * Writes `N.timestamp.json`, then `timestamp.json`; the latter is what makes new metadata
   * visible to clients. TUF clients never read the numbered copy: it is the high-water mark of
   * timestamp versions, so a writer that overwrote a newer timestamp.json sees so in the listing.
   */
  async writeTimestamp(timestamp: Metadata<Timestamp>): Promise<Buffer> {
    const bytes = serializeMetadata(timestamp);
    await this.writeRaw(`${timestamp.signed.version}.timestamp.json`, bytes);
    return this.writeRaw('timestamp.json', bytes);
  }

  /** Reads a file that is not TUF metadata (e.g. the online refresher's mark), or undefined when it is missing. */
  async readExtra(fileName: string): Promise<Buffer | undefined> {
    return this.readOptional(fileName);
  }

  /** Writes raw bytes under a metadata file name (used by test fixtures to replay or forge files). */
  async writeRaw(fileName: string, bytes: Buffer): Promise<Buffer> {
    await this.store.put(this.keyOf(fileName), bytes, JSON_TYPE);
    return bytes;
  }

  private async readOptional(fileName: string): Promise<Buffer | undefined> {
    try {
      return await this.store.get(this.keyOf(fileName));
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return undefined;
      throw err;
    }
  }

  private async readRequired(fileName: string): Promise<Buffer> {
    const bytes = await this.readOptional(fileName);
    if (!bytes) throw this.corrupt(`${fileName} is missing`);
    return bytes;
  }

  private parse(kind: MetadataKind.Root, bytes: Buffer, fileName: string): Metadata<Root>;
  private parse(kind: MetadataKind.Timestamp, bytes: Buffer, fileName: string): Metadata<Timestamp>;
  private parse(kind: MetadataKind.Snapshot, bytes: Buffer, fileName: string): Metadata<Snapshot>;
  private parse(kind: MetadataKind.Targets, bytes: Buffer, fileName: string): Metadata<Targets>;
  private parse(kind: MetadataKind, bytes: Buffer, fileName: string): AnyMetadata {
    try {
      // one overload per kind; the result is narrowed again by this method's own overloads
      return Metadata.fromJSON(
        kind as MetadataKind.Root,
        JSON.parse(bytes.toString('utf8')) as Parameters<typeof Metadata.fromJSON>[1],
      );
    } catch (err) {
      throw this.corrupt(`${fileName} cannot be parsed (${(err as Error).message})`, err);
    }
  }

  private corrupt(detail: string, cause?: unknown): ReleaseError {
    return new ReleaseError(
      ReleaseErrorCode.RepositoryCorrupt,
      `TUF metadata of component ${this.component} under s3://${this.store.bucket}/${this.prefix} is incomplete: ${detail}. Restore the prefix from a backup; do not publish over it`,
      { cause },
    );
  }
}
