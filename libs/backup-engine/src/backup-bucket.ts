import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ObjectStore } from '@lockstep/storage';
import { ObjectNotFoundError } from '@lockstep/storage';
import { ChunkCipher, DEFAULT_KDF, deriveKey, type KdfParams } from './chunk-cipher';
import { BackupEngineError, BackupErrorCode, WrongKeyError } from './errors';
import { GearChunker, type ChunkerOptions } from './gear-chunker';
import type { BackupManifest, ChunkLocation } from './manifest';

const CONFIG_KEY = 'config.json';
const KEY_CHECK_AAD = 'lockstep-backup-key-check';

/** The repository's only plaintext object; it says how to derive the key. */
interface RepositoryConfig {
  version: 1;
  encryption: null | { kdf: 'scrypt'; params: KdfParams; salt: string; check: string };
}

/** A listed repository object: its name (`K`) and stored size in bytes. */
export type StoredObject<K extends string> = Record<K, string> & { size: number };

/** One pack's index object: which chunks it holds and where. */
type PackIndex = Record<string, Omit<ChunkLocation, 'pack'>>;

/** Largest manifest stored as one object; a larger one (thousands of files) is stored in parts. */
export const MANIFEST_INLINE_BYTES = 256 * 1024;

/**
 * How a large manifest's JSON is cut: content-defined, so that the next backup of mostly the
 * same tree produces mostly the same parts, which are then not uploaded again.
 */
const MANIFEST_PART_CHUNKS: ChunkerOptions = { minSize: 64 * 1024, avgSize: 256 * 1024, maxSize: 1024 * 1024 };

/** The object under `manifests/<id>.json` of a manifest stored in parts. */
interface SplitManifest {
  version: 1;
  id: string;
  /** Names of the parts, in order: `manifest-parts/<name>`; see BackupBucket.partName. */
  parts: string[];
  /** Each part is its slice of the JSON compressed with raw deflate. */
  encoding: 'deflate-raw';
}

const isSplit = (m: BackupManifest | SplitManifest): m is SplitManifest => 'parts' in m && !('entries' in m);
const PART_PREFIX = 'manifest-parts/';
/** An empty object per part found damaged: the next backup listing it uploads it again. */
const DAMAGED_PART_PREFIX = 'manifest-parts-damaged/';

/**
 * All I/O of a backup repository in one bucket: `config.json`, `packs/<sha256>`,
 * `index/<pack sha256>` and `manifests/<backup id>.json`, with `manifest-parts/<name>` shared
 * by the manifests over MANIFEST_INLINE_BYTES. Index and manifest objects are encrypted
 * when the repository has a key.
 */
export class BackupBucket {
  private constructor(
    readonly store: ObjectStore,
    /** Undefined when the repository is not encrypted. */
    readonly cipher: ChunkCipher | undefined,
  ) {}

  /**
   * Opens the repository in the store's bucket, creating it on first use (encrypted when a
   * passphrase is given). A wrong passphrase fails here with WrongKeyError.
   */
  static async open(store: ObjectStore, passphrase?: string): Promise<BackupBucket> {
    await store.ensureBucket();
    let config: RepositoryConfig;
    try {
      config = JSON.parse((await store.get(CONFIG_KEY)).toString()) as RepositoryConfig;
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
      return BackupBucket.create(store, passphrase);
    }
    if (!config.encryption) {
      if (passphrase)
        throw new BackupEngineError(
          BackupErrorCode.KeyNotExpected,
          `backup repository in bucket ${store.bucket} is not encrypted, but a key was given. Remove the key setting or use a new bucket.`,
        );
      return new BackupBucket(store, undefined);
    }
    if (!passphrase)
      throw new BackupEngineError(
        BackupErrorCode.KeyRequired,
        `backup repository in bucket ${store.bucket} is encrypted; set the backup key (passphrase) to use it.`,
      );
    const enc = config.encryption;
    const cipher = new ChunkCipher(await deriveKey(passphrase, Buffer.from(enc.salt, 'base64'), enc.params));
    try {
      cipher.open(Buffer.from(enc.check, 'base64'), KEY_CHECK_AAD);
    } catch (cause) {
      throw new WrongKeyError(`backup repository in bucket ${store.bucket}`, { cause });
    }
    return new BackupBucket(store, cipher);
  }

  private static async create(store: ObjectStore, passphrase?: string): Promise<BackupBucket> {
    if (!passphrase) {
      await store.put(
        CONFIG_KEY,
        JSON.stringify({ version: 1, encryption: null } satisfies RepositoryConfig),
        'application/json',
      );
      return new BackupBucket(store, undefined);
    }
    const salt = randomBytes(32);
    const cipher = new ChunkCipher(await deriveKey(passphrase, salt, DEFAULT_KDF));
    const config: RepositoryConfig = {
      version: 1,
      encryption: {
        kdf: 'scrypt',
        params: DEFAULT_KDF,
        salt: salt.toString('base64'),
        check: cipher.seal(randomBytes(32), KEY_CHECK_AAD).toString('base64'),
      },
    };
    await store.put(CONFIG_KEY, JSON.stringify(config), 'application/json');
    return new BackupBucket(store, cipher);
  }

  /** Uploads a finished pack and then its index; returns the bytes uploaded. */
  async putPack(name: string, bytes: Buffer, index: PackIndex): Promise<number> {
    await this.store.putWithDigest(`packs/${name}`, bytes, name); // a pack's name is its sha256
    const indexBody = this.sealObject(`index/${name}`, Buffer.from(JSON.stringify(index)));
    await this.store.put(`index/${name}`, indexBody);
    return bytes.length + indexBody.length;
  }

  /** Reads a pack's raw bytes. */
  getPack(name: string): Promise<Buffer> {
    return this.store.get(`packs/${name}`);
  }

  /** Loads every pack index: the set of chunks already stored, for dedup. */
  async loadChunkIndex(): Promise<Map<string, ChunkLocation>> {
    const out = new Map<string, ChunkLocation>();
    for (const obj of await this.store.list('index/')) {
      const pack = obj.key.slice('index/'.length);
      const index = JSON.parse(this.openObject(obj.key, await this.store.get(obj.key)).toString()) as PackIndex;
      for (const [id, loc] of Object.entries(index)) out.set(id, { pack, ...loc });
    }
    return out;
  }

  /**
   * Uploads a manifest: the commit point of a backup. A large one is cut into
   * content-defined parts, compressed, and only the parts not stored yet (by an earlier
   * backup of mostly the same tree) are uploaded, before the object under `manifests/` that
   * lists them, so the backup exists only once whole. Returns the bytes uploaded.
   */
  async putManifest(manifest: BackupManifest, inlineBytes = MANIFEST_INLINE_BYTES): Promise<number> {
    const key = `manifests/${manifest.id}.json`;
    const json = Buffer.from(JSON.stringify(manifest));
    if (json.length <= inlineBytes) return this.putObject(key, json);
    const stored = new Set((await this.store.list(PART_PREFIX)).map((o) => o.key));
    const damaged = new Set(
      (await this.store.list(DAMAGED_PART_PREFIX)).map((o) => o.key.slice(DAMAGED_PART_PREFIX.length)),
    );
    const split: SplitManifest = { version: 1, id: manifest.id, parts: [], encoding: 'deflate-raw' };
    let uploaded = 0;
    for await (const part of new GearChunker(MANIFEST_PART_CHUNKS).chunks([json])) {
      const name = this.partName(part);
      split.parts.push(name);
      if (stored.has(PART_PREFIX + name) && !damaged.has(name)) continue;
      stored.add(PART_PREFIX + name);
      uploaded += await this.putObject(PART_PREFIX + name, deflateRawSync(part, { level: 1 }));
      if (damaged.delete(name)) await this.store.remove(DAMAGED_PART_PREFIX + name); // stored whole again: every manifest listing it reads again
    }
    return uploaded + (await this.putObject(key, Buffer.from(JSON.stringify(split))));
  }

  /** Reads a manifest (joining its parts, each checked against its name); throws BackupEngineError(NotFound) when there is none. */
  async getManifest(id: string): Promise<BackupManifest> {
    return (await this.getManifestAndParts(id)).manifest;
  }

  /** getManifest, plus the names of the parts it is stored in (none for a small one). */
  async getManifestAndParts(id: string): Promise<{ manifest: BackupManifest; parts: string[] }> {
    const key = `manifests/${id}.json`;
    const stored = JSON.parse(
      (
        await this.getObject(
          key,
          `backup ${id} has no manifest in bucket ${this.store.bucket}: it does not exist or never completed.`,
        )
      ).toString(),
    ) as BackupManifest | SplitManifest;
    if (!isSplit(stored)) return { manifest: stored, parts: [] };
    const parts: Buffer[] = [];
    for (const [n, name] of stored.parts.entries()) {
      const partKey = PART_PREFIX + name;
      // a missing object is damage; any other storage error is an outage and goes up as it is
      const body = await this.store.get(partKey).catch((err: unknown) => {
        if (err instanceof ObjectNotFoundError) return undefined;
        throw err;
      });
      let part: Buffer | undefined;
      try {
        part = body && inflateRawSync(this.openObject(partKey, body));
      } catch {
        part = undefined; // fails authentication or does not decompress
      }
      if (!part || this.partName(part) !== name) {
        // marked, not deleted (a bad read must not remove a part other backups share): the next backup that needs it uploads it again
        await this.store.put(DAMAGED_PART_PREFIX + name, '').catch(() => undefined);
        const problem = body ? 'is damaged' : `is missing from bucket ${this.store.bucket}`;
        throw new BackupEngineError(
          BackupErrorCode.Corrupted,
          `part ${n} of the manifest of backup ${id} (${partKey}) ${problem}: the backup cannot be trusted. The next backup of the same data stores the part again, which repairs it.`,
        );
      }
      parts.push(part);
    }
    return { manifest: JSON.parse(Buffer.concat(parts).toString()) as BackupManifest, parts: stored.parts };
  }

  /**
   * A manifest part's name: its sha256, or with a key an HMAC of it, so that names stored in
   * the clear say nothing about what the parts hold.
   */
  private partName(part: Buffer): string {
    return this.cipher ? this.cipher.mac(part) : createHash('sha256').update(part).digest('hex');
  }

  private async putObject(key: string, plain: Buffer): Promise<number> {
    const body = this.sealObject(key, plain);
    await this.store.put(key, body, 'application/json');
    return body.length;
  }

  /** An index or manifest object, opened; a missing one throws BackupEngineError(NotFound) saying `missing`. */
  private async getObject(key: string, missing: string): Promise<Buffer> {
    let body: Buffer;
    try {
      body = await this.store.get(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError)
        throw new BackupEngineError(BackupErrorCode.NotFound, missing, { cause: err });
      throw err;
    }
    return this.openObject(key, body);
  }

  /** Ids of every completed backup (those with a manifest). */
  async listBackupIds(): Promise<string[]> {
    return (await this.listManifests()).map((m) => m.id);
  }

  /** Every manifest object: backup id and stored size. */
  async listManifests(): Promise<StoredObject<'id'>[]> {
    return (await this.store.list('manifests/'))
      .filter((o) => o.key.endsWith('.json'))
      .map((o) => ({ id: o.key.slice('manifests/'.length, -'.json'.length), size: o.size }));
  }

  /** Every pack object: name (its sha256) and size. */
  async listPacks(): Promise<StoredObject<'name'>[]> {
    return (await this.store.list('packs/')).map((o) => ({ name: o.key.slice('packs/'.length), size: o.size }));
  }

  /** Every pack index object: pack name and size. */
  async listIndexes(): Promise<StoredObject<'name'>[]> {
    return (await this.store.list('index/')).map((o) => ({ name: o.key.slice('index/'.length), size: o.size }));
  }

  /** Every stored manifest part: its name and size. */
  async listManifestParts(): Promise<StoredObject<'name'>[]> {
    return (await this.store.list(PART_PREFIX)).map((o) => ({ name: o.key.slice(PART_PREFIX.length), size: o.size }));
  }

  /** Deletes a manifest part; only safe once no remaining manifest lists it. */
  async removeManifestPart(name: string): Promise<void> {
    await this.store.remove(PART_PREFIX + name);
    await this.store.remove(DAMAGED_PART_PREFIX + name);
  }

  /** Deletes a backup's manifest: the backup stops existing (its packs stay until a prune). */
  removeManifest(id: string): Promise<void> {
    return this.store.remove(`manifests/${id}.json`);
  }

  /** Deletes a pack's index: new backups stop deduplicating against the pack. */
  removeIndex(pack: string): Promise<void> {
    return this.store.remove(`index/${pack}`);
  }

  /** Deletes a pack. Only safe once no manifest references it and its index is gone. */
  removePack(pack: string): Promise<void> {
    return this.store.remove(`packs/${pack}`);
  }

  private sealObject(key: string, plain: Buffer): Buffer {
    return this.cipher ? this.cipher.seal(plain, key) : plain;
  }

  private openObject(key: string, body: Buffer): Buffer {
    if (!this.cipher) return body;
    try {
      return this.cipher.open(body, key);
    } catch (cause) {
      throw new BackupEngineError(
        BackupErrorCode.Corrupted,
        `object ${key} in bucket ${this.store.bucket} fails authentication: it was altered or belongs to another repository.`,
        { cause },
      );
    }
  }
}
