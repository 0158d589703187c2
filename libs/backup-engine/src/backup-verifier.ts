import { createHash } from 'node:crypto';
import { StorageError } from '@lockstep/storage';
import type { BackupBucket } from './backup-bucket';
import { CompressorUnavailableError } from './errors';
import { manifestDigest, type BackupManifest, type ContentEntry } from './manifest';
import { ChunkReadError, PackReader, type PackSource } from './pack-reader';
import type { ProgressPhase } from './progress';
import type { Compressor } from './zstd.process';

/** Outcome of verifying one backup. */
export interface VerifyReport {
  backupId: string;
  ok: boolean;
  /** Packs whose bytes or chunks failed a check, by name. */
  corruptedPacks: string[];
  /** One line per problem found. */
  problems: string[];
  packsChecked: number;
  chunksChecked: number;
  /** Entries with content checked: files and database dumps. */
  filesChecked: number;
  /** Plaintext bytes of the entries checked. */
  bytesChecked: number;
}

/** What to verify, and where to report. */
export interface VerifyOptions {
  /**
   * Only these content entries of the manifest (a selective restore): the manifest digest is
   * still checked, but only the packs holding their chunks are read. Default: everything.
   */
  entries?: readonly ContentEntry[];
  /** Advanced with the plaintext bytes checked. */
  progress?: ProgressPhase;
}

/** What a verify reads from, and where it drops the index of a damaged pack. */
export type VerifySource = PackSource & Pick<BackupBucket, 'removeIndex'>;

/**
 * Checks a backup end to end: the manifest digest, every pack it needs (downloaded again),
 * every chunk (decrypted, decompressed, hashed) and every file's sha256.
 *
 * A pack found damaged or missing also loses its index object, so new backups stop
 * deduplicating against it and store its chunks afresh (the damaged backups keep
 * referencing it until they are pruned). An S3 outage or refused access is not damage:
 * verify throws it as it is, and reports nothing.
 */
export class BackupVerifier {
  constructor(
    private readonly repository: VerifySource,
    private readonly compressor: Compressor,
  ) {}

  /** Verifies; never throws for damaged data, only reports it. */
  async verify(manifest: BackupManifest, options: VerifyOptions = {}): Promise<VerifyReport> {
    const reader = new PackReader(this.repository, this.compressor);
    const problems: string[] = [];
    const corrupted = new Set<string>();
    const checked = new Set<string>();
    const fail = (err: unknown): void => {
      if (err instanceof StorageError || err instanceof CompressorUnavailableError) throw err; // outages and local failures are not damage
      if (err instanceof ChunkReadError) corrupted.add(err.pack);
      const msg = (err as Error).message;
      if (!problems.includes(msg)) problems.push(msg);
    };
    if (manifestDigest(manifest) !== manifest.sha256)
      problems.push(`manifest of ${manifest.id} does not match its sha256`);

    const all = options.entries === undefined;
    const entries =
      options.entries ?? manifest.entries.filter((e): e is ContentEntry => e.type === 'file' || e.type === 'database');
    let filesChecked = 0;
    let bytesChecked = 0;
    for (const entry of entries) {
      const hash = createHash('sha256');
      let intact = true;
      for (const id of entry.chunks) {
        const loc = manifest.chunks[id];
        if (!loc) {
          fail(new Error(`file ${entry.path}: chunk ${id} is missing from the manifest`));
          intact = false;
          break;
        }
        try {
          const plain = await reader.readChunk(id, loc);
          checked.add(id);
          hash.update(plain);
          options.progress?.advance((bytesChecked += plain.length), entry.path);
        } catch (err) {
          fail(err);
          intact = false;
          break;
        }
      }
      if (intact && hash.digest('hex') !== entry.sha256)
        fail(new Error(`file ${entry.path} does not match its sha256`));
      filesChecked++;
    }
    const report = async (): Promise<VerifyReport> => {
      for (const pack of corrupted) {
        await this.repository
          .removeIndex(pack)
          .catch((err: Error) =>
            problems.push(
              `the index of damaged pack ${pack} could not be removed (${err.message}): new backups may still reuse its chunks`,
            ),
          );
      }
      return {
        backupId: manifest.id,
        ok: problems.length === 0,
        corruptedPacks: [...corrupted].sort(),
        problems,
        packsChecked: reader.loaded.size,
        chunksChecked: checked.size,
        filesChecked,
        bytesChecked,
      };
    };
    if (!all) return report();
    // chunks no file pass touched (none today, but the manifest is the contract)
    for (const [id, loc] of Object.entries(manifest.chunks)) {
      if (checked.has(id)) continue;
      try {
        await reader.readChunk(id, loc);
        checked.add(id);
      } catch (err) {
        fail(err);
      }
    }
    for (const pack of manifest.packs) {
      if (!reader.loaded.has(pack)) fail(new Error(`pack ${pack} is listed but holds no chunk of this backup`));
    }
    return report();
  }
}
