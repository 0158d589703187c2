import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { BackupEngine, BackupEngineError, BackupErrorCode, manifestDigest, type BackupManifest, type TreeEntry } from '@lockstep/backup-engine';

const MARKER = 'LOCKSTEP-MANIFEST-MARKER-41c9';

/** A manifest of `files` one-chunk files, about 450 bytes each once serialized (as a real one). */
function bigManifest(id: string, files: number): BackupManifest {
  const entries: TreeEntry[] = [];
  const chunks: BackupManifest['chunks'] = {};
  const pack = 'a'.repeat(64);
  for (let i = 0; i < files; i++) {
    const chunk = i.toString(16).padStart(64, '0');
    entries.push({ type: 'file', path: `uploads/${MARKER}/${i % 100}/file-${i}.jpg`, mode: 0o644, size: 1000 + i, mtimeMs: 1_700_000_000_000 + i, ctimeMs: 1_700_000_000_000 + i, ino: 10_000 + i, sha256: chunk, chunks: [chunk] });
    chunks[chunk] = { pack, offset: i * 1100, length: 1100, size: 1000 + i };
  }
  const body: Omit<BackupManifest, 'sha256'> = {
    version: 1,
    id,
    createdAt: new Date(0).toISOString(),
    labels: {},
    entries,
    chunks,
    packs: [pack],
    stats: { bytesRead: 0, bytesUploaded: 0, packs: 1, newChunks: files, reusedChunks: 0, sizeBeforeCompression: 0, sizeAfterCompression: 0, durationMs: 0 },
  };
  return { ...body, sha256: manifestDigest(body) };
}

describe('backup repository manifests', () => {
  let s3: S3ServerHandle;
  const newStore = () => new MinioObjectStore({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: uniqueName('bkrepo') });

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop(true);
  });

  it('stores a manifest over 16 MiB (50,000 files) in sealed parts, reads it back whole and prunes every part', async () => {
    const store = newStore();
    const engine = await BackupEngine.open(store, { passphrase: 'manifest-parts' });
    const manifest = bigManifest('backup_many_files', 50_000);
    expect(JSON.stringify(manifest).length).toBeGreaterThan(16 * 1024 * 1024);

    const uploaded = await engine.repository.putManifest(manifest);
    const objects = await store.list('');
    const read = await engine.repository.getManifest(manifest.id);

    expect(read).toEqual(manifest);
    expect(uploaded).toBeGreaterThan(16 * 1024 * 1024);
    const parts = objects.filter((o) => o.key.startsWith('manifest-parts/backup_many_files/'));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...objects.map((o) => o.size))).toBeLessThanOrEqual(16 * 1024 * 1024);
    for (const part of parts) expect((await store.get(part.key)).includes(MARKER)).toBe(false);
    expect(await engine.list()).toEqual(['backup_many_files']);

    const pruned = await engine.prune({ remove: ['backup_many_files'] });

    expect(pruned.removedBackups).toEqual(['backup_many_files']);
    expect((await store.list('')).map((o) => o.key).filter((k) => k.startsWith('manifest'))).toEqual([]);
  });

  it('refuses a split manifest whose part was altered or lost, naming the part', async () => {
    const store = newStore();
    const engine = await BackupEngine.open(store);
    await engine.repository.putManifest(bigManifest('backup_damaged', 2_000), 256 * 1024);
    const key = 'manifest-parts/backup_damaged/1';
    const part = await store.get(key);
    part[100] ^= 1;
    await store.put(key, part);

    const altered = await engine.repository.getManifest('backup_damaged').catch((e: unknown) => e);
    await store.remove(key);
    const lost = await engine.repository.getManifest('backup_damaged').catch((e: unknown) => e);

    expect(altered).toBeInstanceOf(BackupEngineError);
    expect((altered as BackupEngineError).code).toBe(BackupErrorCode.Corrupted);
    expect((altered as Error).message).toContain(key);
    expect((lost as BackupEngineError).code).toBe(BackupErrorCode.NotFound);
    expect((lost as Error).message).toContain('part 1 of the manifest of backup backup_damaged');
  });
});
