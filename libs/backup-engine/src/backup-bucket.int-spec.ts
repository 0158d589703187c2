import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import {
  BackupEngine,
  BackupEngineError,
  BackupErrorCode,
  manifestDigest,
  type BackupManifest,
  type TreeEntry,
} from '@lockstep/backup-engine';

const MARKER = 'LOCKSTEP-MANIFEST-MARKER-41c9';

/** A manifest of `files` one-chunk files, about 450 bytes each once serialized (as a real one). */
function bigManifest(id: string, files: number): BackupManifest {
  const entries: TreeEntry[] = [];
  const chunks: BackupManifest['chunks'] = {};
  const pack = 'a'.repeat(64);
  for (let i = 0; i < files; i++) {
    const chunk = i.toString(16).padStart(64, '0');
    entries.push({
      type: 'file',
      path: `uploads/${MARKER}/${i % 100}/file-${i}.jpg`,
      mode: 0o644,
      size: 1000 + i,
      mtimeMs: 1_700_000_000_000 + i,
      ctimeMs: 1_700_000_000_000 + i,
      ino: 10_000 + i,
      sha256: chunk,
      chunks: [chunk],
    });
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
    stats: {
      bytesRead: 0,
      bytesUploaded: 0,
      packs: 1,
      newChunks: files,
      reusedChunks: 0,
      sizeBeforeCompression: 0,
      sizeAfterCompression: 0,
      durationMs: 0,
    },
  };
  return { ...body, sha256: manifestDigest(body) };
}

describe('backup repository manifests', () => {
  let s3: S3ServerHandle;
  const newStore = () =>
    new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('bkrepo'),
    });

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop(true);
  });

  it('stores a manifest over 16 MiB (50,000 files) in sealed parts, reads it back whole, and a second one of nearly the same tree uploads a few parts', async () => {
    const store = newStore();
    const engine = await BackupEngine.open(store, { passphrase: 'manifest-parts' });
    const manifest = bigManifest('backup_many_files', 50_000);
    expect(JSON.stringify(manifest).length).toBeGreaterThan(16 * 1024 * 1024);
    const next = bigManifest('backup_many_files_2', 50_000);
    (next.entries[25_000] as { mtimeMs: number }).mtimeMs += 1000; // one file touched since
    const nextSealed = { ...next, sha256: manifestDigest({ ...next, sha256: undefined }) };

    const firstUpload = await engine.repository.putManifest(manifest);
    const secondUpload = await engine.repository.putManifest(nextSealed);
    const objects = await store.list('');
    const read = await engine.repository.getManifest(manifest.id);
    const readNext = await engine.repository.getManifest(nextSealed.id);

    expect(read).toEqual(manifest);
    expect(readNext).toEqual(nextSealed);
    const parts = objects.filter((o) => o.key.startsWith('manifest-parts/'));
    expect(parts.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...objects.map((o) => o.size))).toBeLessThanOrEqual(2 * 1024 * 1024);
    // the same manifest in a repository without a key: its parts are the plain deflate streams, named by sha256
    const plainStore = newStore();
    await (await BackupEngine.open(plainStore)).repository.putManifest(manifest);
    const plainParts = await plainStore.list('manifest-parts/');
    const plainHeads = await Promise.all(plainParts.map(async (o) => (await plainStore.get(o.key)).subarray(0, 64)));
    expect(parts.filter((o) => plainParts.some((p) => p.key === o.key))).toEqual([]); // HMAC names, not sha256
    for (const part of parts) {
      const body = await store.get(part.key);
      expect(body.includes(MARKER)).toBe(false);
      expect(plainHeads.some((head) => body.includes(head))).toBe(false); // sealed: not even the deflate stream shows
    }
    console.log(
      `backup-repository: manifest of 50,000 files: ${JSON.stringify(manifest).length} B of JSON, first upload ${firstUpload} B in ${parts.length} parts, second ${secondUpload} B`,
    );
    expect(firstUpload).toBeLessThan(JSON.stringify(manifest).length / 2); // compressed
    expect(secondUpload).toBeLessThan(firstUpload * 0.1);
    expect((await engine.list()).sort()).toEqual(['backup_many_files', 'backup_many_files_2']);
  });

  it('prunes the parts only a removed manifest listed, and keeps those a remaining one still needs', async () => {
    const store = newStore();
    const engine = await BackupEngine.open(store);
    await engine.repository.putManifest(bigManifest('backup_a', 5_000));
    const partsOfA = (await store.list('manifest-parts/')).map((o) => o.key);
    for (const key of partsOfA)
      expect(key).toBe(
        `manifest-parts/${createHash('sha256')
          .update(inflateRawSync(await store.get(key)))
          .digest('hex')}`,
      ); // without a key: named by the sha256 of what they hold
    const b = bigManifest('backup_b', 6_000);
    await engine.repository.putManifest(b);

    await engine.prune({ remove: ['backup_a'] });

    const left = (await store.list('manifest-parts/')).map((o) => o.key).sort();
    const listedByB = [
      ...new Set((JSON.parse((await store.get('manifests/backup_b.json')).toString()) as { parts: string[] }).parts),
    ]
      .map((n) => `manifest-parts/${n}`)
      .sort();
    expect(await engine.repository.getManifest('backup_b')).toEqual(b);
    expect(left).toEqual(listedByB);
    expect(partsOfA.filter((k) => left.includes(k)).length).toBeGreaterThan(0); // shared with b: kept
    expect(partsOfA.filter((k) => !left.includes(k)).length).toBeGreaterThan(0); // a's own: gone
    await engine.prune({ remove: ['backup_b'] });
    expect(await store.list('manifest-parts/')).toEqual([]);
  });

  it.each([
    ['without a key', undefined],
    ['with a key', 'manifest-parts'],
  ])(
    'refuses a split manifest whose part was altered or lost (%s), naming the part, and the next backup of the same data repairs it',
    async (_name, passphrase) => {
      const store = newStore();
      const engine = await BackupEngine.open(store, { passphrase });
      const manifest = bigManifest('backup_damaged', 5_000);
      await engine.repository.putManifest(manifest);
      // a part from the middle: the first one holds the backup's id, which the repairing backup does not share
      const { parts } = await engine.repository.getManifestAndParts('backup_damaged');
      const victim = { key: `manifest-parts/${parts[Math.floor(parts.length / 2)]}` };
      const body = await store.get(victim.key);
      body[100] ^= 1;
      await store.put(victim.key, body);

      const altered = await engine.repository.getManifest('backup_damaged').catch((e: unknown) => e);
      const report = await engine.verify('backup_damaged');
      await engine.repository.putManifest({ ...manifest, id: 'backup_again' }); // the same tree again: lists the damaged part, and stores it again
      const repaired = await engine.repository.getManifest('backup_damaged');
      const markersAfterRepair = await store.list('manifest-parts-damaged/');
      await store.remove(victim.key);
      const lost = await engine.repository.getManifest('backup_damaged').catch((e: unknown) => e);

      expect(altered).toBeInstanceOf(BackupEngineError);
      expect((altered as BackupEngineError).code).toBe(BackupErrorCode.Corrupted);
      expect((altered as Error).message).toContain(victim.key);
      expect(report).toMatchObject({ ok: false, problems: [expect.stringContaining(victim.key)] });
      expect(repaired).toEqual(manifest);
      expect(markersAfterRepair).toEqual([]);
      expect((lost as BackupEngineError).code).toBe(BackupErrorCode.Corrupted);
      expect((lost as Error).message).toMatch(/is missing from bucket .*: the backup cannot be trusted/);
    },
  );
});
