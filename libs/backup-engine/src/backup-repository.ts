import { createHash, randomBytes } from 'node:crypto';
import type { ObjectStore } from '@lockstep/storage';
import { ObjectNotFoundError } from '@lockstep/storage';
import { ChunkCipher, DEFAULT_KDF, deriveKey, type KdfParams } from './chunk-cipher';
import { BackupEngineError, BackupErrorCode, WrongKeyError } from './errors';
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

/**
 * Largest manifest stored as one object; a larger one (tens of thousands of files) is cut
 * into parts of this size, since no object may pass 16 MiB.
 */
export const MANIFEST_PART_BYTES = 8 * 1024 * 1024;

/** The object under `manifests/<id>.json` of a manifest stored in parts: what to read, in order, and how to check it. */
interface SplitManifest {
  version: 1;
  id: string;
  /** sha256 and size of each part's plaintext, in order; part n is `manifest-parts/<id>/<n>`. */
  parts: { sha256: string; size: number }[];
}

const isSplit = (m: BackupManifest | SplitManifest): m is SplitManifest => 'parts' in m && !('entries' in m);
const partKey = (id: string, n: number): string => `manifest-parts/${id}/${n}`;

/**
 * All I/O of a backup repository in one bucket: `config.json`, `packs/<sha256>`,
 * `index/<pack sha256>` and `manifests/<backup id>.json` (with `manifest-parts/<backup id>/<n>`
 * for a manifest over MANIFEST_PART_BYTES). Index and manifest objects are encrypted when
 * the repository has a key.
 */
export class BackupRepository {
  private constructor(
    readonly store: ObjectStore,
    /** Undefined when the repository is not encrypted. */
    readonly cipher: ChunkCipher | undefined,
  ) {}

  /**
   * Opens the repository in the store's bucket, creating it on first use (encrypted when a
   * passphrase is given). A wrong passphrase fails here with WrongKeyError.
   */
  static async open(store: ObjectStore, passphrase?: string): Promise<BackupRepository> {
    await store.ensureBucket();
    let config: RepositoryConfig;
    try {
      config = JSON.parse((await store.get(CONFIG_KEY)).toString()) as RepositoryConfig;
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
      return BackupRepository.create(store, passphrase);
    }
    if (!config.encryption) {
      if (passphrase) throw new BackupEngineError(BackupErrorCode.KeyNotExpected, `backup repository in bucket ${store.bucket} is not encrypted, but a key was given. Remove the key setting or use a new bucket.`);
      return new BackupRepository(store, undefined);
    }
    if (!passphrase) throw new BackupEngineError(BackupErrorCode.KeyRequired, `backup repository in bucket ${store.bucket} is encrypted; set the backup key (passphrase) to use it.`);
    const enc = config.encryption;
    const cipher = new ChunkCipher(await deriveKey(passphrase, Buffer.from(enc.salt, 'base64'), enc.params));
    try {
      cipher.open(Buffer.from(enc.check, 'base64'), KEY_CHECK_AAD);
    } catch (cause) {
      throw new WrongKeyError(`backup repository in bucket ${store.bucket}`, { cause });
    }
    return new BackupRepository(store, cipher);
  }

  private static async create(store: ObjectStore, passphrase?: string): Promise<BackupRepository> {
    if (!passphrase) {
      await store.put(CONFIG_KEY, JSON.stringify({ version: 1, encryption: null } satisfies RepositoryConfig), 'application/json');
      return new BackupRepository(store, undefined);
    }
    const salt = randomBytes(32);
    const cipher = new ChunkCipher(await deriveKey(passphrase, salt, DEFAULT_KDF));
    const config: RepositoryConfig = {
      version: 1,
      encryption: { kdf: 'scrypt', params: DEFAULT_KDF, salt: salt.toString('base64'), check: cipher.seal(randomBytes(32), KEY_CHECK_AAD).toString('base64') },
    };
    await store.put(CONFIG_KEY, JSON.stringify(config), 'application/json');
    return new BackupRepository(store, cipher);
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
   * Uploads a manifest: the commit point of a backup. A large one goes up in parts first,
   * then the object under `manifests/` that lists them, so it exists only once whole.
   * Returns the bytes uploaded.
   */
  async putManifest(manifest: BackupManifest, partBytes = MANIFEST_PART_BYTES): Promise<number> {
    const key = `manifests/${manifest.id}.json`;
    const json = Buffer.from(JSON.stringify(manifest));
    if (json.length <= partBytes) return this.putObject(key, json);
    const split: SplitManifest = { version: 1, id: manifest.id, parts: [] };
    let uploaded = 0;
    for (let at = 0, n = 0; at < json.length; at += partBytes, n++) {
      const part = json.subarray(at, at + partBytes);
      uploaded += await this.putObject(partKey(manifest.id, n), part);
      split.parts.push({ sha256: createHash('sha256').update(part).digest('hex'), size: part.length });
    }
    return uploaded + (await this.putObject(key, Buffer.from(JSON.stringify(split))));
  }

  /** Reads a manifest (joining its parts, each checked against its sha256); throws BackupEngineError(NotFound) when there is none. */
  async getManifest(id: string): Promise<BackupManifest> {
    const key = `manifests/${id}.json`;
    const stored = JSON.parse((await this.getObject(key, `backup ${id} has no manifest in bucket ${this.store.bucket}: it does not exist or never completed.`)).toString()) as BackupManifest | SplitManifest;
    if (!isSplit(stored)) return stored;
    const parts: Buffer[] = [];
    for (const [n, expected] of stored.parts.entries()) {
      const part = await this.getObject(partKey(id, n), `part ${n} of the manifest of backup ${id} is missing from bucket ${this.store.bucket}: the backup cannot be read.`);
      if (part.length !== expected.size || createHash('sha256').update(part).digest('hex') !== expected.sha256) {
        throw new BackupEngineError(BackupErrorCode.Corrupted, `part ${n} of the manifest of backup ${id} (${partKey(id, n)}) does not match its sha256: the backup cannot be trusted.`);
      }
      parts.push(part);
    }
    return JSON.parse(Buffer.concat(parts).toString()) as BackupManifest;
  }

  private async putObject(key: string, plain: Buffer): Promise<number> {
    const body = this.sealObject(key, plain);
    await this.store.put(key, body, 'application/json');
    return body.length;
  }

  /** An index or manifest object, opened; `missing` is the NotFound error's message. */
  private async getObject(key: string, missing: string): Promise<Buffer> {
    let body: Buffer;
    try {
      body = await this.store.get(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new BackupEngineError(BackupErrorCode.NotFound, missing, { cause: err });
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
    return (await this.store.list('manifests/')).filter((o) => o.key.endsWith('.json')).map((o) => ({ id: o.key.slice('manifests/'.length, -'.json'.length), size: o.size }));
  }

  /** Every pack object: name (its sha256) and size. */
  async listPacks(): Promise<StoredObject<'name'>[]> {
    return (await this.store.list('packs/')).map((o) => ({ name: o.key.slice('packs/'.length), size: o.size }));
  }

  /** Every pack index object: pack name and size. */
  async listIndexes(): Promise<StoredObject<'name'>[]> {
    return (await this.store.list('index/')).map((o) => ({ name: o.key.slice('index/'.length), size: o.size }));
  }

  /** Every part object of split manifests: the backup id it belongs to, its key and size. */
  async listManifestParts(): Promise<(StoredObject<'key'> & { id: string })[]> {
    return (await this.store.list('manifest-parts/')).map((o) => ({ id: o.key.split('/')[1]!, key: o.key, size: o.size }));
  }

  /** Deletes one part of a split manifest; only safe once its manifest object is gone (or never came). */
  removeManifestPart(key: string): Promise<void> {
    if (!key.startsWith('manifest-parts/')) throw new Error(`internal: ${key} is not a manifest part`);
    return this.store.remove(key);
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
      throw new BackupEngineError(BackupErrorCode.Corrupted, `object ${key} in bucket ${this.store.bucket} fails authentication: it was altered or belongs to another repository.`, { cause });
    }
  }
}
