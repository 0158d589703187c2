import { StorageError } from '@lockstep/storage';
import type { BackupBucket } from './backup-bucket';
import { BackupEngineError, BackupErrorCode } from './errors';
import { BACKUP_ID_PATTERN } from './backup-id';
import { ProgressReporter, ProgressStep, type ProgressListener } from './progress';

/** What to prune. */
export interface PruneRequest {
  /** Backups to delete (e.g. the `remove` list of selectRetention). Ids without a manifest are reported as already gone. */
  remove: string[];
  /** Compute the same result without deleting anything. */
  dryRun?: boolean;
  /** Receives progress: `scan` (reading the remaining manifests), `commit` (deleting), then `done`. */
  onProgress?: ProgressListener;
  /**
   * Stops the prune before its next delete (e.g. when its exclusive lock is lost, and a
   * backup could start deduplicating against packs about to go); a rerun finishes the job.
   */
  signal?: AbortSignal;
}

/** What a prune removed (or, on a dry run, would remove). */
export interface PruneResult {
  /** Backups whose manifests were deleted. */
  removedBackups: string[];
  /** Requested backups that had no manifest: already gone, nothing to do. */
  missingBackups: string[];
  /** Packs deleted: those no remaining backup references, including orphans of failed backups. */
  removedPacks: number;
  /** Packs left because a remaining backup needs them. */
  keptPacks: number;
  /** Bytes of the deleted manifests, pack indexes and packs. */
  freedBytes: number;
  dryRun: boolean;
}

/** The part of BackupBucket a prune needs. */
export type PruneStore = Pick<
  BackupBucket,
  | 'listManifests'
  | 'getManifestAndParts'
  | 'listManifestParts'
  | 'listPacks'
  | 'listIndexes'
  | 'removeManifest'
  | 'removeManifestPart'
  | 'removeIndex'
  | 'removePack'
>;

const DELETE_CONCURRENCY = 8;

/**
 * Deletes backups and every pack no remaining backup needs. Everything is decided before
 * the first delete; then manifests go first, then the manifest parts no remaining manifest
 * lists (also those a failed backup left), pack indexes and packs last, so a crash midway
 * never leaves a manifest pointing at a missing pack or part (a rerun finishes the job).
 */
export class BackupPruner {
  constructor(private readonly repository: PruneStore) {}

  /** Prunes; see BackupEngine.prune. */
  async prune(request: PruneRequest): Promise<PruneResult> {
    const dryRun = request.dryRun ?? false;
    const progress = new ProgressReporter(request.onProgress);
    for (const id of request.remove) {
      if (!BACKUP_ID_PATTERN.test(id))
        throw new BackupEngineError(
          BackupErrorCode.InvalidRequest,
          `cannot prune backup ${JSON.stringify(id)}: not a backup id. Nothing was deleted; pass ids as listed by the catalogue.`,
        );
    }
    const manifests = await this.repository.listManifests();
    const wanted = new Set(request.remove);
    const removing = manifests.filter((m) => wanted.has(m.id));
    const remaining = manifests.filter((m) => !wanted.has(m.id));
    const present = new Set(manifests.map((m) => m.id));
    const missingBackups = [...wanted].filter((id) => !present.has(id));

    const scan = progress.phase(ProgressStep.Scan, 0, 20);
    const referenced = new Set<string>();
    const partsListed = new Set<string>();
    for (const [i, m] of remaining.entries()) {
      scan.advance(0, m.id, i / remaining.length);
      let manifest;
      try {
        const read = await this.repository.getManifestAndParts(m.id);
        manifest = read.manifest;
        for (const p of read.parts) partsListed.add(p);
      } catch (cause) {
        if (cause instanceof StorageError) throw cause; // an outage, not a damaged manifest: it names the store and the action
        throw new BackupEngineError(
          cause instanceof BackupEngineError ? cause.code : BackupErrorCode.Corrupted,
          `prune stopped before deleting anything: the manifest of backup ${m.id} cannot be read (${(cause as Error).message}), so the packs it needs are unknown. Fix access to it, or add ${m.id} to the backups to remove.`,
          { cause },
        );
      }
      for (const p of manifest.packs) referenced.add(p);
      for (const loc of Object.values(manifest.chunks)) referenced.add(loc.pack);
    }

    const packs = await this.repository.listPacks();
    const indexes = await this.repository.listIndexes();
    const deadParts = (await this.repository.listManifestParts()).filter((p) => !partsListed.has(p.name));
    const deadPacks = packs.filter((p) => !referenced.has(p.name));
    const deadIndexes = indexes.filter((i) => !referenced.has(i.name));
    const sum = (xs: { size: number }[]): number => xs.reduce((n, x) => n + x.size, 0);
    const freedBytes = sum(removing) + sum(deadParts) + sum(deadPacks) + sum(deadIndexes);
    const result: PruneResult = {
      removedBackups: removing.map((m) => m.id).sort(),
      missingBackups: missingBackups.sort(),
      removedPacks: deadPacks.length,
      keptPacks: packs.length - deadPacks.length,
      freedBytes,
      dryRun,
    };
    if (dryRun) {
      progress.done(0, 'dry run: nothing deleted');
      return result;
    }

    const commit = progress.phase(ProgressStep.Commit, 20, 100, freedBytes);
    let freed = 0;
    const remove = async <T extends { size: number }>(
      items: T[],
      del: (item: T) => Promise<void>,
      label: (item: T) => string,
      concurrency = DELETE_CONCURRENCY,
    ): Promise<void> => {
      await forEachLimited(items, concurrency, async (item) => {
        if (request.signal?.aborted) {
          throw new BackupEngineError(
            BackupErrorCode.Aborted,
            `prune stopped after freeing ${freed} bytes: ${(request.signal.reason as Error)?.message ?? 'aborted'}. Run it again to finish; nothing a remaining backup needs was deleted.`,
            { cause: request.signal.reason },
          );
        }
        await del(item);
        commit.advance((freed += item.size), label(item));
      });
    };
    // this order is the crash-safety argument: see the class comment
    await remove(
      removing,
      (m) => this.repository.removeManifest(m.id),
      (m) => `manifests/${m.id}.json`,
    );
    // one at a time: some S3 servers (s3rver) fail a delete that empties a folder while another runs there
    await remove(
      deadParts,
      (p) => this.repository.removeManifestPart(p.name),
      (p) => `manifest-parts/${p.name}`,
      1,
    );
    await remove(
      deadIndexes,
      (i) => this.repository.removeIndex(i.name),
      (i) => `index/${i.name}`,
    );
    await remove(
      deadPacks,
      (p) => this.repository.removePack(p.name),
      (p) => `packs/${p.name}`,
    );
    progress.done(freed);
    return result;
  }
}

/** Runs `fn` over `items` with at most `limit` calls at once; the first failure rejects after the running calls settle. */
async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
