import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinioObjectStore, StorageError, StorageErrorCode, type ObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { BackupEngine, type Progress } from '@lockstep/backup-engine';
import { snapshotTree, storeObjects } from './tree.fixtures';

describe(`${BackupEngine.name} prune`, () => {
  let s3: S3ServerHandle;
  let work: string;
  const newStore = () =>
    new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('bkprune'),
    });

  /** A directory holding the given files. */
  async function tree(name: string, files: Record<string, Buffer>): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir);
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(dir, file), bytes);
    return dir;
  }

  /** The store with manifest uploads failing: the backup uploads its packs and then fails, leaving orphans. */
  const failingManifests = (store: ObjectStore): ObjectStore =>
    Object.create(store, {
      put: {
        value: async (key: string, body: Buffer | string) => {
          if (key.startsWith('manifests/')) throw new StorageError(StorageErrorCode.Unavailable, 'injected outage');
          return store.put(key, body);
        },
      },
    });

  beforeAll(async () => {
    s3 = await startS3Server();
    work = await mkdtemp(join(tmpdir(), 'lockstep-prune-'));
  });
  afterAll(async () => {
    await s3.stop(true);
    await rm(work, { recursive: true, force: true });
  });

  it('removes backups and the packs only they (or nobody) need; kept backups still verify and restore', async () => {
    const store = newStore();
    const shared = randomBytes(1024 * 1024);
    const onlyA = randomBytes(1024 * 1024);
    const sut = await BackupEngine.open(store);
    // S writes the shared pack; A adds a pack only it needs; B reuses the shared pack and adds its own
    const s = await sut.backup({ id: 'backup_s', source: await tree('s', { 'shared.bin': shared }) });
    const a = await sut.backup({ id: 'backup_a', source: await tree('a', { 'shared.bin': shared, 'a.bin': onlyA }) });
    const bDir = await tree('b', { 'shared.bin': shared, 'b.bin': randomBytes(1024 * 1024) });
    const b = await sut.backup({ id: 'backup_b', source: bDir });
    const failed = await (
      await BackupEngine.open(failingManifests(store))
    )
      .backup({ source: await tree('f', { 'f.bin': randomBytes(1024 * 1024) }) })
      .catch((err: unknown) => err);
    const before = await storeObjects(store);
    const sharedPack = s.manifest.packs[0];
    const packOfA = a.manifest.packs.find((p) => p !== sharedPack)!;
    const orphans = [...before.keys()].filter(
      (k) => k.startsWith('packs/') && ![...a.manifest.packs, ...b.manifest.packs].includes(k.slice('packs/'.length)),
    );

    const dry = await sut.prune({ remove: ['backup_s', 'backup_a', 'backup_gone'], dryRun: true });
    const afterDry = await storeObjects(store);
    const events: Progress[] = [];
    const result = await sut.prune({
      remove: ['backup_s', 'backup_a', 'backup_gone'],
      onProgress: (p) => void events.push(p),
    });
    const after = await storeObjects(store);

    expect(failed).toBeInstanceOf(StorageError);
    expect(orphans).toHaveLength(1);
    expect(b.manifest.packs).toContain(sharedPack);
    expect(afterDry).toEqual(before);
    expect(dry).toEqual({ ...result, dryRun: true });
    expect(result).toMatchObject({
      removedBackups: ['backup_a', 'backup_s'],
      missingBackups: ['backup_gone'],
      removedPacks: 2,
      keptPacks: 2,
      dryRun: false,
    });
    const freed = [...before].filter(([k]) => !after.has(k)).reduce((n, [, size]) => n + size, 0);
    expect(result.freedBytes).toBe(freed);
    expect(result.freedBytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(after.has(`packs/${packOfA}`)).toBe(false);
    expect(after.has(`index/${packOfA}`)).toBe(false);
    expect(after.has(orphans[0])).toBe(false);
    expect(after.has(`packs/${sharedPack}`)).toBe(true);
    expect(await sut.list()).toEqual(['backup_b']);
    expect((await sut.verify('backup_b')).ok).toBe(true);
    const target = join(work, 'restored-b');
    await sut.restore('backup_b', target);
    expect(await snapshotTree(target)).toEqual(await snapshotTree(bDir));
    expect(events[events.length - 1]).toMatchObject({ step: 'done', percent: 100 });
  });

  it('stops deduplicating against pruned packs, so the next backup of the same data is whole', async () => {
    const store = newStore();
    const dir = await tree('again', { 'x.bin': randomBytes(1024 * 1024) });
    const sut = await BackupEngine.open(store);
    const first = await sut.backup({ id: 'backup_first', source: dir });

    await sut.prune({ remove: ['backup_first'] });
    const second = await (await BackupEngine.open(store)).backup({ id: 'backup_second', source: dir });

    expect(first.stats.newChunks).toBeGreaterThan(0);
    expect(await store.list('packs/')).toHaveLength(second.manifest.packs.length);
    expect(second.stats.newChunks).toBe(first.stats.newChunks);
    expect((await sut.verify('backup_second')).ok).toBe(true);
  });
});
