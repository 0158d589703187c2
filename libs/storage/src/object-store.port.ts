import type { Readable } from 'node:stream';

/** Metadata of one stored object. */
export interface ObjectInfo {
  /** Object key inside the bucket. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Entity tag as the server reports it (quotes stripped). */
  etag: string;
  /** Last modification time. */
  lastModified: Date;
}

/**
 * The port every Lockstep component uses for archives, artifacts and release metadata.
 * One bucket per store; keys are slash-separated paths.
 */
export interface ObjectStore {
  /** Bucket this store reads and writes. */
  readonly bucket: string;
  /** Creates the bucket when it does not exist yet. Safe to call repeatedly. */
  ensureBucket(): Promise<void>;
  /** Stores a whole object. Objects must stay at or under 16 MiB. */
  put(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  /**
   * Stores a whole object whose sha256 (lowercase hex) the caller has already computed, e.g.
   * a pack named by its hash. Over plain HTTP the request is signed with that digest instead
   * of hashing the body again, so the server refuses a body that does not match it; over
   * HTTPS it is the same as put().
   */
  putWithDigest(key: string, body: Buffer, sha256: string): Promise<void>;
  /** Stores an object from a stream of known size (at or under 16 MiB). */
  putStream(key: string, body: Readable, size: number, contentType?: string): Promise<void>;
  /** Reads a whole object; throws ObjectNotFoundError when it is missing. */
  get(key: string): Promise<Buffer>;
  /** Opens an object as a stream; throws ObjectNotFoundError when it is missing. */
  getStream(key: string): Promise<Readable>;
  /** Returns metadata, or undefined when the object is missing. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Lists objects whose key starts with prefix. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Removes an object; removing a missing object is not an error. */
  remove(key: string): Promise<void>;
}

/** Dependency-injection token for the ObjectStore port. */
export const OBJECT_STORE = Symbol('OBJECT_STORE');
